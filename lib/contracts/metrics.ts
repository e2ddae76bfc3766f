/**
 * Where a run's report and metrics live (issue 16), shared by the report step (lambda/report.ts),
 * the stack (bucket, dashboard) and docs/states.md: the S3 keys, the console link, and the
 * CloudWatch metric names teams set alarms on. Imports nothing.
 */

/** The pipeline's last stage (and its action): writes the report; not a stage of the deployment it reports on. */
export const REPORT_STAGE = 'Report';

/** CloudWatch namespace of every metric the report step emits. */
export const METRICS_NAMESPACE = 'SprykerPipeline';
/** The one dimension: the Spryker environment (`production`, `staging`, …). */
export const METRICS_DIMENSION = 'Environment';

/** Metric names (docs/states.md). Durations in seconds, outcomes as counts (1 per run). */
export const METRIC = {
  /** How long a timeline state lasted, e.g. `Window_schedulerPaused`. */
  window: (state: string) => `Window_${state}`,
  /** How long a stage ran, e.g. `StageDuration_Run_install`. */
  stage: (stage: string) => `StageDuration_${stage}`,
  /** First stage started to last stage ended. */
  duration: 'DeploymentDuration',
  /** 1 for a run that ended so (the others 0): Sum over a period counts runs. */
  succeeded: 'DeploymentSucceeded',
  failed: 'DeploymentFailed',
  stopped: 'DeploymentStopped',
  /** 1 for a stage-rollback execution (CodePipeline executionType ROLLBACK), else 0. */
  rollback: 'Rollback',
  /** Source revision created to Deploy_Spryker_services done (succeeded runs). */
  leadTime: 'LeadTime',
  /** `cutover: 'together'` runs where a service shifted: first to last production shift. */
  cutoverShiftSpread: 'CutoverShiftSpread',
  /** `cutover: 'together'` runs: first to last service ready at the barrier (what rolling would have mixed, at least). */
  cutoverArrivalSpread: 'CutoverArrivalSpread',
} as const;

/** `<pipeline>/<executionId>/report.json|html` in the environment's reports bucket. */
export const reportKey = (pipeline: string, executionId: string, ext: 'json' | 'html') => `${pipeline}/${executionId}/report.${ext}`;

/**
 * The S3 console page of a report object (reachable with the console's own sign-in; the bucket is
 * private). Keys need no escaping: pipeline names are `[A-Za-z0-9.@_-]`, execution ids UUIDs; and
 * the stack builds the same link for the notification from event fields.
 */
export const reportConsoleUrl = (bucket: string, region: string, key: string) => `https://s3.console.aws.amazon.com/s3/object/${bucket}?region=${region}&prefix=${key}`;
