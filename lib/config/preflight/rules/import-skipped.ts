import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

/** docker-sdk skips a top-level import that no layer has: so does the pipeline, but it says so. */
export const ImportSkipped: PreflightRule = {
  code: 'SDF110',
  severity: 'warning',
  readsLoadProblems: true,
  name: 'top-level import on no template layer: skipped',
  check: (ctx) => loadIssues(ctx, ['import-skipped'], 'add the template under config/deploy-templates/ (project layer), or remove the import'),
};
