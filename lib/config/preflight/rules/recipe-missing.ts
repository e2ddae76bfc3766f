import * as fs from 'fs';
import * as path from 'path';
import type { PreflightContext, RuleIssue } from '../finding';
import { installHookKey, installRecipes, runHooks } from './hooks';

/**
 * Install recipes that hooks name but the Spryker project beside the deploy file does not have
 * (`config/install/<recipe>.yml`): `install` picks the hook Run_install runs, or every other one.
 */
export function missingRecipes(ctx: PreflightContext, install: boolean): RuleIssue[] {
  const root = ctx.config.projectRoot;
  if (root === undefined) return [];
  return runHooks(ctx)
    .filter((h) => (h.key === installHookKey(ctx)) === install && typeof h.value === 'string')
    .flatMap((h) =>
      installRecipes(h.value as string)
        .filter((recipe) => !fs.existsSync(path.join(root, 'config', 'install', `${recipe}.yml`)))
        .map((recipe) => ({
          message: `${h.variable} (${h.where}) runs install recipe '${recipe}', but config/install/${recipe}.yml does not exist in the project ${path.relative(process.cwd(), root) || '.'}: vendor/bin/install would fail${install ? ' and stop the deployment at Run_install' : ''}`,
          suggestion: `add config/install/${recipe}.yml, or set ${h.variable} in image.environment to a recipe the project has (${recipesOf(root).join(', ') || 'none under config/install/'})`,
          path: h.path,
        })),
    );
}

/** The recipes the project has, for the suggestion. */
function recipesOf(root: string): string[] {
  const dir = path.join(root, 'config', 'install');
  try {
    return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.yml')).map((f) => f.slice(0, -4).split(path.sep).join('/')).sort().slice(0, 10);
  } catch {
    return [];
  }
}
