/**
 * The rollback guard. Rolling back (desired_version older than the deployed version) undoes no
 * migration: the older code meets the newer database, and its own Run_install (propel:install)
 * migrates towards the older schema. Across a breaking schema change that fails or loses data,
 * so the step refuses, before anything changes, unless the operator confirms the target version.
 */
import type { ReleaseDiff, SchemaChange } from './types';

/** The SSM parameter an operator sets to the target commit hash to confirm a rollback across a breaking schema change. */
export function confirmRollbackParameter(environment: string): string {
  return `/${environment}/confirm_rollback`;
}

export interface RollbackVerdict {
  /** Whether the pipeline may go on. */
  readonly allowed: boolean;
  /** What the approver reads (a rollback's warning), or why it is refused. @default - not a rollback */
  readonly message?: string;
}

export function describeChange(c: SchemaChange): string {
  return `${c.table}${c.column ? `.${c.column}` : ''}: ${c.change}`;
}

/** `confirmation` is the value of the confirm parameter (undefined when it does not exist). */
export function rollbackGuard(diff: ReleaseDiff, confirmation: string | undefined, parameter: string): RollbackVerdict {
  if (diff.direction !== 'rollback') return { allowed: true };
  const notice = `rollback from ${diff.from} to ${diff.to}: database migrations are not undone, the older code meets the newer schema`;
  if (!diff.breaking.length) return { allowed: true, message: `${notice}; the schema changes it meets are not breaking` };
  const meets = diff.breaking.map(describeChange).join('; ');
  if (confirmation?.trim().toLowerCase() === diff.to.toLowerCase()) {
    return { allowed: true, message: `${notice}, confirmed by ${parameter}; it meets: ${meets}` };
  }
  return {
    allowed: false,
    message:
      `${notice}, and these changes break it (its Run_install migrates back towards the older schema, dropping what only the newer one has): ${meets}. ` +
      `Restore the database to a snapshot of ${diff.to} instead, or confirm this rollback: ` +
      `aws ssm put-parameter --name ${parameter} --type String --overwrite --value ${diff.to}, then retry the stage` +
      (confirmation ? ` (${parameter} is '${confirmation.trim()}', another version)` : ''),
  };
}
