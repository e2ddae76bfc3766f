/**
 * The deployment report of one pipeline execution (issue 16): stages as bars, the risky states
 * of the timeline, and each state's window. A real run's report step and the rehearsal
 * (`cdk-spryker-pipeline rehearse`) produce the same document; `rehearse --json` prints it.
 */
import * as z from 'zod';
import { TIMELINE_STATES, TimelineSpan, type TimelineState } from './timeline';

/**
 * Version 1 grows only by optional fields (`cutover` came later): a version-1 reader strips what it
 * does not know and reads every version-1 report, old or new. A change an old reader would
 * misread (a field renamed, its meaning changed) bumps the version.
 */
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

/** The environment's last rolling run, for comparison (docs/cutover.md): its report is in the reports bucket. */
export const LastRollingRun = z.object({
  pipeline: z.string().min(1),
  executionId: z.string().min(1),
  /** That run's mixedVersions: first rollout started to last completed. */
  mixedVersionsMs: z.number().int().nonnegative(),
  /** When that window ended (epoch ms). */
  endMs: z.number().int(),
});
export type LastRollingRun = z.infer<typeof LastRollingRun>;

/**
 * How Deploy_Spryker_services moved the application services (docs/cutover.md). Absent when the
 * run moved none (it ended earlier, or every service was on the release already).
 */
export const CutoverSection = z.discriminatedUnion('mode', [
  /** Each service on its own schedule: V1 and V2 mixed for `windows.mixedVersions`. */
  z.object({ mode: z.literal('rolling') }),
  z.object({
    mode: z.literal('together'),
    /** Services the barrier was opened for. */
    services: z.number().int().nonnegative(),
    /** Services that reached POST_TEST_TRAFFIC_SHIFT (green running, test traffic on it) and ran their checks. */
    arrived: z.number().int().nonnegative(),
    /** Services whose production traffic shifted to V2. */
    shifted: z.number().int().nonnegative(),
    /** First to last production shift (the mixed-version window of a together cutover); absent when none shifted. */
    shiftSpreadMs: z.number().int().nonnegative().optional(),
    /**
     * Rolling, from this run's own data: first to last arrival at the barrier, the window V1 and
     * V2 would have been mixed had each service shifted when it was ready. A lower bound: rolling
     * also mixes inside each service while its tasks are replaced. Absent unless every service arrived.
     */
    arrivalSpreadMs: z.number().int().nonnegative().optional(),
    /** Rolling, measured: the environment's last rolling run, when its report is in the bucket. */
    lastRolling: LastRollingRun.optional(),
  }),
]);
export type CutoverSection = z.infer<typeof CutoverSection>;

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
  /** How the application services switched to the release, and the rolling comparison (added in version 1: optional). */
  cutover: CutoverSection.optional(),
});
export type DeploymentReport = z.infer<typeof DeploymentReport>;

/** A rolling run's closed mixed-version window (every service completed), as the comparison of later together runs. */
export function rollingWindowOf(report: DeploymentReport): LastRollingRun | undefined {
  const mixed = report.states.find((s) => s.state === 'mixedVersions');
  if (report.cutover?.mode !== 'rolling' || mixed?.endMs === undefined) return undefined;
  return { pipeline: report.pipeline, executionId: report.executionId, mixedVersionsMs: mixed.endMs - mixed.startMs, endMs: mixed.endMs };
}

/** Each started state's duration; an open state counts until `untilMs` (the report's end). */
export function computeWindows(states: readonly TimelineSpan[], untilMs: number): Windows {
  const windows: Partial<Record<TimelineState, number>> = {};
  for (const span of states) windows[span.state] = Math.max(0, (span.endMs ?? untilMs) - span.startMs);
  return windows;
}

/**
 * The pointer to an environment's last rolling run, in its reports bucket (`latestRollingKey`):
 * the report step writes it after a rolling run and reads it for a together run's comparison.
 * It expires with the bucket's lifecycle rule, as the report it points to does.
 */
export const LATEST_ROLLING_VERSION = 1;
export const LatestRolling = LastRollingRun.extend({ v: z.literal(LATEST_ROLLING_VERSION) });
export type LatestRolling = z.infer<typeof LatestRolling>;
/** Two segments: never a report key (`<pipeline>/<executionId>/report.*`). */
export const latestRollingKey = (environment: string) => `latest-rolling/${environment}.json`;
/** A pointer is a few hundred bytes; anything larger is not one and is not read. */
export const LATEST_ROLLING_MAX_BYTES = 4096;

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
