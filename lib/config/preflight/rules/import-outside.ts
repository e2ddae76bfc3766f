import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

/** An import may only read templates of the project and its template layers: `../../etc/passwd` would be merged into the props. */
export const ImportOutside: PreflightRule = {
  code: 'SDF107',
  severity: 'critical',
  readsLoadProblems: true,
  name: 'import leaves the project and the template layers',
  check: (ctx) => loadIssues(ctx, ['import-outside'], 'name a template inside config/deploy-templates/ (or docker-sdk\'s templates) by a relative path without ..'),
};
