import { DEFAULT_HOOKS, HOOK_VARIABLES, type HookKey } from '../../types';
import type { PreflightContext } from '../finding';

export interface EffectiveHook {
  readonly key: HookKey;
  readonly variable: string;
  readonly value: unknown;
  /** Where the value comes from: the file's key path, or none when props set it. */
  readonly path?: string[];
  /** `image.environment.SPRYKER_HOOK_INSTALL` or `props hooks.install`: for messages. */
  readonly where: string;
}

/** The hooks the pipeline runs: props win over the file, as in the props builder. */
export function effectiveHooks(ctx: PreflightContext): EffectiveHook[] {
  return (Object.entries(HOOK_VARIABLES) as [HookKey, string][]).flatMap(([key, variable]): EffectiveHook[] => {
    const fromProps = ctx.props?.hooks?.[key];
    if (fromProps !== undefined) return [{ key, variable, value: fromProps, where: `props hooks.${key}` }];
    if (!(key in ctx.config.hooks)) return [];
    const path = ['image', 'environment', variable];
    return [{ key, variable, value: ctx.config.hooks[key], path, where: path.join('.') }];
  });
}

/** Install recipes and console commands that wipe data. */
export const DESTRUCTIVE_COMMAND = /destructive|database:drop|search:index:delete/;

/** The hooks the pipeline runs, SCCOS's defaults included: what props or the file set, else the default. */
export function runHooks(ctx: PreflightContext): EffectiveHook[] {
  const given = effectiveHooks(ctx);
  return (Object.entries(HOOK_VARIABLES) as [HookKey, string][]).flatMap(([key, variable]): EffectiveHook[] => {
    const hook = given.find((h) => h.key === key);
    if (hook) return [hook];
    const value = (DEFAULT_HOOKS as Partial<Record<HookKey, string>>)[key];
    return value === undefined ? [] : [{ key, variable, value, where: `SCCOS's default ${variable}` }];
  });
}

/** The recipes a hook runs with Spryker's installer: `vendor/bin/install -r <recipe>` (also `--recipe <r>`, `--recipe=<r>`, `-r<r>`). */
export function installRecipes(hook: string): string[] {
  const unquote = (t: string) => t.replace(/^(['"])(.*)\1$/, '$2');
  return hook.split(/[;&|\n]+/).flatMap((command) => {
    const words = command.trim().split(/\s+/);
    const at = words.findIndex((w) => /(^|\/)vendor\/bin\/install$/.test(unquote(w)));
    if (at < 0) return [];
    const recipes: string[] = [];
    for (let i = at + 1; i < words.length; i++) {
      const w = words[i];
      if (w === '-r' || w === '--recipe') recipes.push(unquote(words[++i] ?? ''));
      else if (w.startsWith('--recipe=')) recipes.push(unquote(w.slice('--recipe='.length)));
      else if (/^-r[^-]/.test(w)) recipes.push(unquote(w.slice(2)));
    }
    return recipes.filter(Boolean);
  });
}

/** The hook that Run_install runs: a critical finding when its recipe is missing. */
export const installHookKey = (ctx: PreflightContext): HookKey => (ctx.props?.pipelineType === 'destructive' ? 'destructiveInstall' : 'install');
