import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

/** A "billion laughs" file (aliases of aliases) would take the memory of the synth or the CLI. */
export const AliasBomb: PreflightRule = {
  code: 'SDF108',
  severity: 'critical',
  readsLoadProblems: true,
  name: 'YAML aliases expand without bound',
  check: (ctx) => loadIssues(ctx, ['alias-bomb'], 'write the repeated parts out, or use fewer nested anchors (&name) and aliases (*name)'),
};
