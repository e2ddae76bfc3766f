import type { LoadProblemKind } from '../../deploy-file';
import type { PreflightContext, RuleIssue } from '../finding';

/** The reader's problems of some kinds, as rule issues: the four file-level rules share this. */
export function loadIssues(ctx: PreflightContext, kinds: LoadProblemKind[], suggestion: string): RuleIssue[] {
  return ctx.config.loadProblems.filter((p) => kinds.includes(p.kind)).map((p) => ({ message: p.message, suggestion, location: p.location }));
}
