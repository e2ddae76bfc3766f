/**
 * The deployment report of one pipeline execution (issue 16): stages as bars, the risky states
 * of the timeline, and each state's window. A real run's report step and the rehearsal
 * (`cdk-spryker-pipeline rehearse`) produce the same document; `rehearse --json` prints it.
 */
import * as z from 'zod';
import { TIMELINE_STATES, TimelineSpan, type TimelineState } from './timeline';

export const REPORT_VERSION = 1;

export const StageOutcome = z.enum(['Succeeded', 'Failed', 'InProgress', 'Stopped', 'Skipped']);
export type StageOutcome = z.infer<typeof StageOutcome>;

export const ReportStage = z.object({
  name: z.string().min(1),
  startMs: z.number().int(),
  endMs: z.number().int(),
  outcome: StageOutcome,
});
export type ReportStage = z.infer<typeof ReportStage>;

/**
 * Documented window names (docs/states.md): milliseconds each state lasted. A state that started
 * and has not ended counts until the report's `endMs`; a state that never started is absent.
 */
export const Windows = z.partialRecord(z.enum(TIMELINE_STATES), z.number().int().nonnegative());
export type Windows = z.infer<typeof Windows>;

export const DeploymentReport = z.object({
  v: z.literal(REPORT_VERSION),
  pipeline: z.string().min(1),
  executionId: z.string().min(1),
  /** The version deployed (commit hash), when known. */
  version: z.string().optional(),
  outcome: z.enum(['Succeeded', 'Failed', 'InProgress', 'Stopped']),
  startMs: z.number().int(),
  endMs: z.number().int(),
  stages: z.array(ReportStage),
  states: z.array(TimelineSpan),
  windows: Windows,
  /** A stage-rollback execution (CodePipeline executionType ROLLBACK). @default false */
  rollback: z.boolean().optional(),
  /** When the source revision was created (CodePipeline's artifact revision `created`), epoch ms. */
  commitMs: z.number().int().optional(),
  /** Commit to deployed (Deploy_Spryker_services done), ms: only for a succeeded run whose commit time is known. */
  leadTimeMs: z.number().int().nonnegative().optional(),
});
export type DeploymentReport = z.infer<typeof DeploymentReport>;

/** Each started state's duration; an open state counts until `untilMs` (the report's end). */
export function computeWindows(states: readonly TimelineSpan[], untilMs: number): Windows {
  const windows: Partial<Record<TimelineState, number>> = {};
  for (const span of states) windows[span.state] = Math.max(0, (span.endMs ?? untilMs) - span.startMs);
  return windows;
}

/** What the EventBridge rule sends to the report step when an execution of a reported pipeline ends. */
export const ReportAfterExecution = z.object({
  reportAfterExecution: z.object({
    pipeline: z.string(),
    /** `detail.execution-id`. */
    executionId: z.string(),
    /** `detail.state`: logged only; CodePipeline's own status decides. */
    state: z.string(),
  }),
});
export type ReportAfterExecution = z.infer<typeof ReportAfterExecution>;
