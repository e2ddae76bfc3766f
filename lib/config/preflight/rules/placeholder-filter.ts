import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

/** docker-sdk throws ParameterFilterNotExistException for a filter it does not have. */
export const PlaceholderFilter: PreflightRule = {
  code: 'SDF111',
  severity: 'critical',
  readsLoadProblems: true,
  name: 'unknown placeholder filter',
  check: (ctx) => loadIssues(ctx, ['placeholder-filter'], "use %name|upper% or %name|lower%, or %name% without a filter"),
};
