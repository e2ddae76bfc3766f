import { spawnSync } from 'child_process';
import type { PreflightRule } from '../finding';
import { effectiveHooks } from './hooks';

/** How long the shell may take to parse one hook. */
const SYNTAX_CHECK_TIMEOUT_MS = 5000;

/**
 * The hook task runs the hook with `sh -c`: the shell's own `-n` (read, do not run) finds an
 * unbalanced quote or a missing `fi` now instead of at deploy time. Skipped where no `sh` exists.
 */
export const HookShellSyntax: PreflightRule = {
  code: 'SDF206',
  severity: 'critical',
  name: 'hook is not valid shell',
  check: (ctx) =>
    effectiveHooks(ctx)
      .filter((h) => typeof h.value === 'string' && h.value.trim() !== '')
      .flatMap((h) => {
        const result = spawnSync('sh', ['-n', '-c', h.value as string], { encoding: 'utf8', timeout: SYNTAX_CHECK_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'] });
        if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        if (result.status === 0) return [];
        const why = result.error ? `the syntax check did not finish in ${SYNTAX_CHECK_TIMEOUT_MS / 1000} s` : (result.stderr.trim().split('\n')[0] ?? '').replace(/^sh: /, 'line ').slice(0, 200);
        return [
          {
            message: `${h.variable} (${h.where}) is not valid shell (sh -n: ${why}): the hook task would fail at deploy time`,
            suggestion: 'close every quote and if/then/fi, do/done block; try it with sh -n -c \'<hook>\'',
            path: h.path,
          },
        ];
      }),
};
