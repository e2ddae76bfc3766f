import type { PreflightRule } from '../finding';
import { effectiveHooks } from './hooks';

/**
 * ECS RunTask overrides hold 8192 characters in all, JSON included; the hook shares them with
 * the scheduler command and the environment. Half is what a hook may take.
 */
export const MAX_HOOK_LENGTH = 4096;

export const HookTooLong: PreflightRule = {
  code: 'SDF205',
  severity: 'critical',
  name: 'hook longer than RunTask overrides allow',
  check: (ctx) =>
    effectiveHooks(ctx)
      .filter((h) => typeof h.value === 'string' && h.value.length > MAX_HOOK_LENGTH)
      .map((h) => ({
        message: `${h.variable} (${h.where}) is ${(h.value as string).length} characters; ECS RunTask overrides allow 8192 in all, so a hook may use ${MAX_HOOK_LENGTH}`,
        suggestion: 'move the commands into an install recipe (config/install/*.yml) and run it with vendor/bin/install -r',
        path: h.path,
      })),
};
