import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

export const YamlSyntax: PreflightRule = {
  code: 'SDF101',
  severity: 'critical',
  readsLoadProblems: true,
  name: 'YAML syntax error, or a file that cannot be read',
  check: (ctx) => loadIssues(ctx, ['syntax', 'unreadable'], 'fix the YAML at that line and column (indentation, quotes, brackets); nothing else in the file was checked'),
};
