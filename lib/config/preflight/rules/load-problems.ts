import type { LoadProblemKind } from '../../deploy-file-model';
import type { PreflightContext, RuleIssue } from '../finding';

/** Kinds after which the file has no content to check. */
export const UNREAD_KINDS: readonly LoadProblemKind[] = ['syntax', 'duplicate-key', 'unreadable', 'not-utf8', 'alias-bomb'];

/** The reader's problems of some kinds, as rule issues: the four file-level rules share this. */
export function loadIssues(ctx: PreflightContext, kinds: LoadProblemKind[], suggestion: string): RuleIssue[] {
  return ctx.config.loadProblems.filter((p) => kinds.includes(p.kind)).map((p) => ({ message: p.message, suggestion, location: p.location }));
}
