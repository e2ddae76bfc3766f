import type { PreflightRule } from '../finding';
import { DESTRUCTIVE_COMMAND, effectiveHooks } from './hooks';

/** A normal deployment on production must never run a destructive recipe: every push would wipe the shop's data. */
export const DestructiveHookOnProduction: PreflightRule = {
  code: 'SDF203',
  severity: 'critical',
  name: 'destructive command in a normal hook on production',
  check: (ctx) =>
    !ctx.production
      ? []
      : effectiveHooks(ctx)
          .filter((h) => h.key !== 'destructiveInstall' && typeof h.value === 'string' && DESTRUCTIVE_COMMAND.test(h.value))
          .map((h) => ({
            message: `${h.variable} (${h.where}) runs '${h.value}' on production environment '${ctx.environment}': a destructive recipe wipes data on every deployment`,
            suggestion: `use the production recipe (e.g. vendor/bin/install -r EU/production --no-ansi -vvv); destructive installs belong in SPRYKER_HOOK_DESTRUCTIVE_INSTALL`,
            path: h.path,
          })),
};
