import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

/** YAML forbids a key twice in one map; parsers that allow it keep only one (an application or store silently lost). */
export const DuplicateKey: PreflightRule = {
  code: 'SDF102',
  severity: 'critical',
  readsLoadProblems: true,
  name: 'key listed twice in one map',
  check: (ctx) => loadIssues(ctx, ['duplicate-key'], 'rename or remove one of the two entries (application and store keys must be unique)'),
};
