import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

export const ImportMissing: PreflightRule = {
  code: 'SDF103',
  severity: 'critical',
  readsLoadProblems: true,
  name: 'imported deploy file template not found',
  check: (ctx) =>
    loadIssues(ctx, ['import-missing'], "add the template under config/deploy-templates/ (project layer), check the docker-sdk checkout (base layer), or pass templateDirs"),
};
