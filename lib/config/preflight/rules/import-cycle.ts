import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

export const ImportCycle: PreflightRule = {
  code: 'SDF104',
  severity: 'critical',
  readsLoadProblems: true,
  name: 'deploy file imports itself',
  check: (ctx) => loadIssues(ctx, ['import-cycle'], 'remove the import that closes the loop'),
};
