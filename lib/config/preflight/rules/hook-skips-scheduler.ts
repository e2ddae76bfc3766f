import { SCHEDULER_AFTER } from '../../hook-commands';
import type { PreflightRule } from '../finding';
import { effectiveHooks } from './hooks';

/** `exit`, `exit 0` or `exit $?` in command position: the shell ends there, successfully. */
const SUCCESSFUL_EXIT = /(?:^|[;&|(){}\n]|\b(?:then|do|else)\b)\s*exit(?:\s+([^\s;&|)}#]+))?\s*(?=$|[;&|)}\n#])/g;

/**
 * SCCOS runs the scheduler command (scheduler:suspend, scheduler:setup) after the hook in the same
 * shell: a trailing backslash joins it onto the hook's last line, and a successful `exit` skips it.
 */
export const HookSkipsScheduler: PreflightRule = {
  code: 'SDF207',
  severity: 'critical',
  name: 'hook would skip the scheduler command',
  check: (ctx) =>
    effectiveHooks(ctx)
      .filter((h) => typeof h.value === 'string' && SCHEDULER_AFTER[h.key] !== undefined)
      .flatMap((h) => {
        const hook = h.value as string;
        const backslashes = /\\*$/.exec(hook.trimEnd())![0].length;
        const exits = [...hook.matchAll(SUCCESSFUL_EXIT)].filter((m) => m[1] === undefined || m[1] === '0' || m[1].startsWith('$'));
        const why = [
          ...(backslashes % 2 ? ['it ends with a backslash, which joins the scheduler command onto its last line'] : []),
          ...(exits.length ? ['it exits successfully before its end, so the scheduler command never runs'] : []),
        ];
        return why.length
          ? [
              {
                message: `${h.variable} (${h.where}): ${why.join('; ')} (${SCHEDULER_AFTER[h.key]} follows the hook)`,
                suggestion: 'remove the trailing backslash; end the hook with its last command instead of exit (exit 1 to fail is fine)',
                path: h.path,
              },
            ]
          : [];
      }),
};
