import type { PreflightRule } from '../finding';
import { effectiveHooks } from './hooks';

/** YAML reads an unquoted `true` as a boolean: the container would get `1` as its command. */
export const HookNotString: PreflightRule = {
  code: 'SDF202',
  severity: 'critical',
  name: 'hook is not a string',
  check: (ctx) =>
    effectiveHooks(ctx)
      .filter((h) => h.value !== null && typeof h.value !== 'string')
      .map((h) => ({
        message: `${h.variable} (${h.where}) is a YAML ${Array.isArray(h.value) ? 'list' : typeof h.value}, not a command`,
        suggestion: `quote it as one command line, e.g. ${h.variable}: "${typeof h.value === 'object' ? 'vendor/bin/install -r EU/production --no-ansi -vvv' : String(h.value)}"`,
        path: h.path,
      })),
};
