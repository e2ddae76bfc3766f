/** The release diff: pure functions over git facts or two source trees, shared by the CLI, the step handler and tests. */
export * from './types';
export { groupOf, needsContent, diffTrees, GROUP_PATTERNS } from './groups';
export { readSchema, diffSchema, type Schema, type Column } from './schema';
export { diffComposerLock, SPRYKER_VENDORS } from './composer';
export { diffDeployFile } from './deploy-file';
export { factsScript, gitFacts, readFacts, parseLog, parseNameStatus, LOG_FORMAT, type ReleaseFacts } from './git';
export { computeRelease, archiveFacts, toJson, type ReleaseInput } from './release';
export { rollbackGuard, confirmRollbackParameter, describeChange, type RollbackVerdict } from './rollback';
export { summarize, renderHtml, renderUnavailable, SUMMARY_LIMIT } from './render';
