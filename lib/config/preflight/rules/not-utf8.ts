import type { PreflightRule } from '../finding';
import { loadIssues } from './load-problems';

/** docker-sdk's Symfony parser reads UTF-8 only; a UTF-16 file (Windows editors) is refused there too. */
export const NotUtf8: PreflightRule = {
  code: 'SDF109',
  severity: 'critical',
  readsLoadProblems: true,
  name: 'file is not UTF-8',
  check: (ctx) => loadIssues(ctx, ['not-utf8'], 'save the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)'),
};
