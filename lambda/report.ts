/**
 * The report step (issue 16): the deployment report of one pipeline execution (stages, the
 * states timeline, each state's window) as report.json and report.html in the environment's
 * reports bucket, and the run's metrics (embedded metric format, Powertools Metrics).
 *
 * Two ways in, one assembly:
 * - the pipeline's last action (stage Report) on a run that got that far: every stage before it
 *   succeeded; its summary and its REPORT_URL variable carry the link to the report;
 * - an EventBridge rule on the execution's end (FAILED, STOPPED, SUCCEEDED): also the runs that
 *   never reached the last stage. The event proves nothing: the execution's status comes from
 *   CodePipeline (GetPipelineExecution), its stages from ListActionExecutions, and only for one of
 *   the environment's own pipelines.
 * Both write the same keys (the later, more complete one stays); the metrics of an execution are
 * emitted once (a claim in the step table), by whichever comes first.
 *
 * The cutover section (docs/cutover.md): the mode and, for `together`, the shift spread beside what
 * rolling took, this run's readiness spread (step table) and the environment's last rolling run
 * (the pointer `latest-rolling/<env>.json` a rolling run's report writes into the same bucket).
 */
import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  type ActionExecutionDetail,
  type PipelineExecution,
} from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CodePipelineEvent } from 'aws-lambda';
import {
  computeWindows,
  DeploymentReport,
  LastRollingRun,
  LATEST_ROLLING_MAX_BYTES,
  LATEST_ROLLING_VERSION,
  LatestRolling,
  latestRollingKey,
  REPORT_VERSION,
  rollingWindowOf,
  type ReportStage,
  type StageOutcome,
} from '../lib/contracts/report';
import { METRIC, METRICS_DIMENSION, METRICS_NAMESPACE, REPORT_STAGE, reportConsoleUrl, reportKey } from '../lib/contracts/metrics';
import { cutoverLine, renderReport } from '../lib/report/render';
import { cutoverSection } from './cutover/summary';
import { actionExecutions } from './runtime/action-executions';
import { call, defineStep, describeError, environmentPipelines, StepFailure, type ClientConfig, type LambdaContext, type StepDefinition, type StepRecords } from './runtime/job';
import { parseParams } from './runtime/params';
import { ReportParams } from '../lib/contracts/params';
import type { ReportAfterExecution } from '../lib/contracts/report';
import { StepTable } from './runtime/records';
import { readTimeline, TIMELINE_TTL_SECONDS } from './runtime/timeline';


/** The stage whose end is "deployed" (lead time). */
const DEPLOY_STAGE = 'Deploy_Spryker_services';
/** CodePipeline's pipeline execution ids (GetPipelineExecution's pattern). */
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Attempts of the event path; CodePipeline may still show the execution running for a moment after its end event. */
const EVENT_ATTEMPTS = 3;

interface Assembly {
  readonly cp: CodePipelineClient;
  readonly records: StepRecords;
  readonly pipeline: string;
  readonly executionId: string;
  readonly nowMs: number;
  /** The report action's own run: all stages before it succeeded, and the execution is still running. */
  readonly fromReportAction: boolean;
}

const ACTION_OUTCOME: Record<string, StageOutcome> = { Succeeded: 'Succeeded', Failed: 'Failed', InProgress: 'InProgress', Abandoned: 'Stopped' };

/** One bar per stage that ran: first action started to last action ended; failed beats running beats stopped. */
export function stagesOf(details: readonly ActionExecutionDetail[], nowMs: number): ReportStage[] {
  const byStage = new Map<string, ActionExecutionDetail[]>();
  for (const d of details) if (d.stageName && d.stageName !== REPORT_STAGE) byStage.set(d.stageName, [...(byStage.get(d.stageName) ?? []), d]);
  return [...byStage]
    .map(([name, actions]): ReportStage => {
      const outcomes = actions.map((a) => ACTION_OUTCOME[a.status ?? ''] ?? 'InProgress');
      const outcome = (['Failed', 'InProgress', 'Stopped'] as const).find((o) => outcomes.includes(o)) ?? 'Succeeded';
      const startMs = Math.min(...actions.map((a) => a.startTime?.getTime() ?? nowMs));
      const endMs = outcome === 'InProgress' ? nowMs : Math.max(...actions.map((a) => a.lastUpdateTime?.getTime() ?? nowMs));
      return { name, startMs, endMs: Math.max(endMs, startMs), outcome };
    })
    .sort((a, b) => a.startMs - b.startMs);
}

const EXECUTION_OUTCOME: Record<string, DeploymentReport['outcome'] | undefined> = {
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Stopped: 'Stopped',
  Cancelled: 'Stopped',
  Superseded: 'Stopped',
};

/** The report of one execution, from CodePipeline and the step table only. */
export async function assembleReport(a: Assembly): Promise<{ report: DeploymentReport; execution: PipelineExecution }> {
  const where = `${a.pipeline} execution ${a.executionId}`;
  const { pipelineExecution: execution } = await call(
    `CodePipeline GetPipelineExecution of ${where}`,
    a.cp.send(new GetPipelineExecutionCommand({ pipelineName: a.pipeline, pipelineExecutionId: a.executionId })),
  );
  if (!execution) throw new StepFailure(`CodePipeline returned no execution for ${where}`);
  const details = await actionExecutions(a.cp, a.pipeline, a.executionId);
  const stages = stagesOf(details, a.nowMs);
  const states = await readTimeline(a.records, a.executionId);
  const outcome = a.fromReportAction ? 'Succeeded' : (EXECUTION_OUTCOME[execution.status ?? ''] ?? 'InProgress');
  const startMs = Math.min(a.nowMs, ...stages.map((s) => s.startMs), ...states.map((s) => s.startMs));
  const endMs = a.fromReportAction || !stages.length ? a.nowMs : Math.max(...stages.map((s) => s.endMs), ...states.map((s) => s.endMs ?? s.startMs));
  // PrepareVersion's VERSION (the commit deployed); the source revision when the run never got there.
  const version = details.map((d) => d.output?.outputVariables?.VERSION).find(Boolean) ?? execution.artifactRevisions?.[0]?.revisionId;
  const commitMs = execution.artifactRevisions?.map((r) => r.created?.getTime()).find((t) => t !== undefined);
  const deployed = stages.find((s) => s.name === DEPLOY_STAGE && s.outcome === 'Succeeded');
  const leadTimeMs = outcome === 'Succeeded' && commitMs !== undefined && deployed ? Math.max(0, deployed.endMs - commitMs) : undefined;
  const cutover = await cutoverSection(a.records, a.executionId, states);
  const report = DeploymentReport.parse({
    v: REPORT_VERSION,
    pipeline: a.pipeline,
    executionId: a.executionId,
    ...(version ? { version } : {}),
    outcome,
    startMs,
    endMs,
    stages,
    states,
    windows: computeWindows(states, endMs),
    rollback: execution.executionType === 'ROLLBACK',
    ...(commitMs !== undefined ? { commitMs } : {}),
    ...(leadTimeMs !== undefined ? { leadTimeMs } : {}),
    ...(cutover ? { cutover } : {}),
  });
  return { report, execution };
}

/**
 * The environment's last rolling run (its pointer object), or undefined when there is none. Bounded:
 * a listing of the one key (so a missing pointer is "none", not AccessDenied: S3 answers a GetObject
 * of a missing key with 403 unless the caller may list), then at most LATEST_ROLLING_MAX_BYTES.
 */
async function readLatestRolling(s3: S3Client, bucket: string, environment: string): Promise<LatestRolling | undefined> {
  const key = latestRollingKey(environment);
  const where = `s3://${bucket}/${key}`;
  const listed = await call(`S3 ListObjectsV2 ${where}`, s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 })));
  const object = listed.Contents?.find((o) => o.Key === key);
  if (!object) return undefined;
  if ((object.Size ?? 0) > LATEST_ROLLING_MAX_BYTES) throw new Error(`${where} is ${object.Size} bytes: not a pointer (at most ${LATEST_ROLLING_MAX_BYTES})`);
  const out = await call(`S3 GetObject ${where}`, s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${LATEST_ROLLING_MAX_BYTES - 1}` })));
  const text = (await out.Body?.transformToString()) ?? '';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = LatestRolling.safeParse(raw);
  if (!parsed.success) throw new Error(`${where} is not a version ${LATEST_ROLLING_VERSION} pointer: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(object)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

const warnComparison = (what: string, err: unknown) =>
  console.warn(JSON.stringify({ level: 'WARN', step: 'report', comparison: what, error: describeError(err).message, note: 'the report goes on without it' }));

/**
 * A together run's report gets the environment's last rolling run beside its shift spread (docs/cutover.md).
 * The comparison never fails the report: unreadable, it is left out and logged.
 */
export async function withLastRolling(s3: S3Client, bucket: string, environment: string, report: DeploymentReport): Promise<DeploymentReport> {
  if (report.cutover?.mode !== 'together') return report;
  try {
    const last = await readLatestRolling(s3, bucket, environment);
    if (!last) return report;
    // The pointer's fields without its version: the run it names.
    return { ...report, cutover: { ...report.cutover, lastRolling: LastRollingRun.parse(last) } };
  } catch (err) {
    warnComparison(`the last rolling run of ${environment}`, err);
    return report;
  }
}

/**
 * After a rolling run's report is stored: the environment's pointer to it, when its mixed-version
 * window closed (every service completed) and is no older than the one the pointer names.
 */
export async function recordRolling(s3: S3Client, bucket: string, environment: string, report: DeploymentReport): Promise<boolean> {
  const window = rollingWindowOf(report);
  if (!window) return false;
  const pointer: LatestRolling = { v: LATEST_ROLLING_VERSION, ...window };
  const key = latestRollingKey(environment);
  try {
    const last = await readLatestRolling(s3, bucket, environment).catch((err) => {
      warnComparison(`the last rolling run of ${environment} (replaced)`, err);
      return undefined;
    });
    if (last && (last.endMs > pointer.endMs || JSON.stringify(last) === JSON.stringify(pointer))) return false;
    await call(`S3 PutObject s3://${bucket}/${key}`, s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(pointer), ContentType: 'application/json' })));
    return true;
  } catch (err) {
    warnComparison(`recording ${report.executionId} as the last rolling run of ${environment}`, err);
    return false;
  }
}

/** report.json and report.html; returns the console link of the HTML page. */
export async function storeReport(s3: S3Client, bucket: string, region: string, report: DeploymentReport): Promise<string> {
  const put = (ext: 'json' | 'html', body: string, contentType: string) =>
    call(
      `S3 PutObject s3://${bucket}/${reportKey(report.pipeline, report.executionId, ext)}`,
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: reportKey(report.pipeline, report.executionId, ext), Body: body, ContentType: contentType })),
    );
  await put('json', `${JSON.stringify(report, null, 2)}\n`, 'application/json');
  await put('html', renderReport(report), 'text/html; charset=utf-8');
  return reportConsoleUrl(bucket, region, reportKey(report.pipeline, report.executionId, 'html'));
}

/** The run's metrics (docs/states.md), once per execution: the first report of it emits them. */
export async function emitMetrics(records: StepRecords, report: DeploymentReport, environment: string): Promise<boolean> {
  const claim = await records.claim(`report-metrics#${report.executionId}`, { at: report.endMs }, { ttlSeconds: TIMELINE_TTL_SECONDS });
  if (!claim.created) return false;
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  // The environment is the only dimension (no `service`): the dashboard and alarms name it alone.
  metrics.clearDefaultDimensions();
  metrics.addDimension(METRICS_DIMENSION, environment);
  metrics.setTimestamp(report.endMs);
  const seconds = (ms: number) => Math.round(ms) / 1000;
  for (const [state, ms] of Object.entries(report.windows)) metrics.addMetric(METRIC.window(state), MetricUnit.Seconds, seconds(ms));
  for (const stage of report.stages) metrics.addMetric(METRIC.stage(stage.name), MetricUnit.Seconds, seconds(stage.endMs - stage.startMs));
  metrics.addMetric(METRIC.duration, MetricUnit.Seconds, seconds(report.endMs - report.startMs));
  metrics.addMetric(METRIC.succeeded, MetricUnit.Count, report.outcome === 'Succeeded' ? 1 : 0);
  metrics.addMetric(METRIC.failed, MetricUnit.Count, report.outcome === 'Failed' ? 1 : 0);
  metrics.addMetric(METRIC.stopped, MetricUnit.Count, report.outcome === 'Stopped' ? 1 : 0);
  metrics.addMetric(METRIC.rollback, MetricUnit.Count, report.rollback ? 1 : 0);
  if (report.leadTimeMs !== undefined) metrics.addMetric(METRIC.leadTime, MetricUnit.Seconds, seconds(report.leadTimeMs));
  if (report.cutover?.mode === 'together') {
    if (report.cutover.shiftSpreadMs !== undefined) metrics.addMetric(METRIC.cutoverShiftSpread, MetricUnit.Seconds, seconds(report.cutover.shiftSpreadMs));
    if (report.cutover.arrivalSpreadMs !== undefined) metrics.addMetric(METRIC.cutoverArrivalSpread, MetricUnit.Seconds, seconds(report.cutover.arrivalSpreadMs));
  }
  metrics.addMetadata('pipeline', report.pipeline);
  metrics.addMetadata('executionId', report.executionId);
  metrics.publishStoredMetrics();
  return true;
}

/** The reports bucket the stack configured (REPORT_BUCKET). */
function reportBucket(): string {
  const bucket = process.env.REPORT_BUCKET;
  if (!bucket) throw new StepFailure('the report step has no REPORT_BUCKET: redeploy the pipeline stack', 'ConfigurationError');
  return bucket;
}

const regionOf = (config: ClientConfig) => config.region ?? process.env.AWS_REGION ?? 'us-east-1';

export const step: StepDefinition<ReportParams, never> = {
  name: 'report',
  parseParams: (raw) => parseParams('report', raw, ReportParams),
  run: async (ctx) => {
    const { report: assembled } = await assembleReport({
      cp: ctx.client(CodePipelineClient),
      records: ctx.records,
      pipeline: ctx.job.pipelineName,
      executionId: ctx.job.pipelineExecutionId,
      nowMs: ctx.now(),
      fromReportAction: true,
    });
    const s3 = ctx.client(S3Client);
    const bucket = reportBucket();
    const { environment } = ctx.params;
    const report = await withLastRolling(s3, bucket, environment, assembled);
    const url = await storeReport(s3, bucket, regionOf(ctx.clientConfig), report);
    await recordRolling(s3, bucket, environment, report);
    await emitMetrics(ctx.records, report, environment);
    const windows = Object.entries(report.windows).map(([state, ms]) => `${state} ${Math.round(ms / 1000)} s`);
    const cutover = report.cutover ? `; ${cutoverLine(report.cutover, report)}` : '';
    return { status: 'done', summary: `deployment report: ${url}${windows.length ? ` (${windows.join(', ')})` : ''}${cutover}`, outputVariables: { REPORT_URL: url } };
  },
};

export interface ReportEventDeps {
  readonly clientConfig?: ClientConfig;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** @default environmentPipelines() (STEP_PIPELINES) */
  readonly pipelines?: readonly string[];
  /** @default process.env.STEP_TABLE */
  readonly table?: string;
  /** @default process.env.REPORT_ENVIRONMENT */
  readonly environment?: string;
}

/**
 * The report of an execution that ended, on the word of CodePipeline, not of the event. Refuses
 * (logs, writes nothing) a pipeline that is not the environment's, an id that is no execution
 * id, an execution CodePipeline does not know, and one it still shows running.
 */
export async function reportAfterExecution(input: ReportAfterExecution['reportAfterExecution'], deps: ReportEventDeps = {}): Promise<{ written: boolean; summary: string }> {
  const where = `${input.pipeline} execution ${input.executionId} (event state ${input.state})`;
  const pipelines = deps.pipelines ?? environmentPipelines();
  const refuse = (why: string) => {
    console.warn(JSON.stringify({ level: 'WARN', step: 'report', event: where, refused: why, note: 'nothing written' }));
    return { written: false, summary: `not reported: ${why}` };
  };
  if (!pipelines.includes(String(input.pipeline))) return refuse(`pipeline ${input.pipeline} is not one of this environment's (${pipelines.join(', ') || 'none configured'})`);
  if (!EXECUTION_ID.test(String(input.executionId))) return refuse(`'${String(input.executionId).slice(0, 100)}' is not a pipeline execution id`);
  const table = deps.table ?? process.env.STEP_TABLE;
  const environment = deps.environment ?? process.env.REPORT_ENVIRONMENT;
  if (!table || !environment) return refuse('the report handler has no STEP_TABLE or REPORT_ENVIRONMENT: redeploy the pipeline stack');
  const clientConfig = deps.clientConfig ?? {};
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const cp = new CodePipelineClient(clientConfig);
  const records = new StepTable(new DynamoDBClient(clientConfig), table, now, call).records();
  let last: unknown;
  for (let attempt = 1; attempt <= EVENT_ATTEMPTS; attempt++) {
    try {
      const { report: assembled, execution } = await assembleReport({ cp, records, pipeline: input.pipeline, executionId: input.executionId, nowMs: now(), fromReportAction: false });
      if (assembled.outcome === 'InProgress') {
        if (attempt < EVENT_ATTEMPTS) {
          await sleep(2000 * attempt);
          continue;
        }
        return refuse(`CodePipeline shows the execution ${execution.status}, not ended`);
      }
      const s3 = new S3Client(clientConfig);
      const bucket = reportBucket();
      const report = await withLastRolling(s3, bucket, environment, assembled);
      const url = await storeReport(s3, bucket, regionOf(clientConfig), report);
      await recordRolling(s3, bucket, environment, report);
      const emitted = await emitMetrics(records, report, environment);
      const cutover = report.cutover ? `; ${cutoverLine(report.cutover, report)}` : '';
      const summary = `report of ${input.pipeline} execution ${input.executionId} (${report.outcome}): ${url}${emitted ? '' : ' (metrics were already emitted)'}${cutover}`;
      console.log(JSON.stringify({ step: 'report', summary }));
      return { written: true, summary };
    } catch (err) {
      const name = (err as { name?: string }).name ?? '';
      const message = describeError(err).message;
      if (/PipelineExecutionNotFoundException|PipelineNotFoundException/.test(`${name} ${message}`)) return refuse(`CodePipeline knows no such execution (${message})`);
      last = err;
      if (attempt < EVENT_ATTEMPTS) await sleep(2000 * attempt);
    }
  }
  const message = `the report of ${where} could not be written: ${describeError(last).message}`;
  console.error(JSON.stringify({ level: 'ERROR', step: 'report', error: message }));
  return { written: false, summary: message };
}

const stepHandler = defineStep(step);

/** The Report action's jobs, and the report after an execution ended (EventBridge). */
export const handler = async (event: CodePipelineEvent | ReportAfterExecution, context: LambdaContext): Promise<void> => {
  if (event && typeof event === 'object' && 'reportAfterExecution' in event) {
    await reportAfterExecution(event.reportAfterExecution);
    return;
  }
  await stepHandler(event as CodePipelineEvent, context);
};
