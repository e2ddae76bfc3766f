import type { PreflightRule } from '../finding';
import { effectiveHooks } from './hooks';

/** An empty SPRYKER_HOOK_* runs an empty command: the task fails, or silently skips SCCOS's default. */
export const HookEmpty: PreflightRule = {
  code: 'SDF201',
  severity: 'critical',
  name: 'hook is empty',
  check: (ctx) =>
    effectiveHooks(ctx)
      .filter((h) => h.value === null || (typeof h.value === 'string' && h.value.trim() === ''))
      .map((h) => ({
        message: `${h.variable} (${h.where}) is empty`,
        suggestion: "remove it for SCCOS's default command, or set it to \"true\" to run nothing",
        path: h.path,
      })),
};
