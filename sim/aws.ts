/**
 * A stateful fake of the AWS APIs the step handlers call (ECS, SSM, CloudWatch Logs,
 * CodePipeline, S3 artifacts), served over HTTP on 127.0.0.1. The real SDK clients talk to it,
 * so request serialization, error parsing and the SDK's retries run for real. Time is a
 * controllable clock: the handler's sleep advances it, and ECS moves (tasks start and stop,
 * deployments roll out, fail, roll back) as it passes.
 */
import { LoopbackServer } from './loopback';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CodePipelineEvent } from 'aws-lambda';
import { decodeToken, stateKey, tokenPointer, type RuntimeDeps, type VerifiedJob } from '../lambda/runtime/job';
import { DynamoDbError, FakeDynamoDb } from './dynamodb';
import { FakeExecutions } from './codepipeline-executions';
import { FakeEcr } from './ecr';
import { FakeElbv2, parseQuery } from './elbv2';
import { FakeEcsBlueGreen } from './ecs-bluegreen';
import { jobDetails, jobEvent, type JobOptions } from './job';
import { FakeVersionedS3 } from './s3-versions';
import { FakeSecretsManager } from './secrets-manager';
import { arn, AwsError, FakeClock, REGION } from './core';
import { FakeEcs, FakeLogs } from './ecs';

export { ACCOUNT, AwsError, FakeClock, REGION } from './core';
export { FakeEcs, FakeLogs, TASK_START_MS, type Deployment, type FakeServiceSpec, type RolloutScript, type Service, type TaskScript } from './ecs';

/** Parameter Store keeps the 100 newest versions of a parameter (PutParameter deletes the oldest, unless it is labelled). */
export const SSM_MAX_VERSIONS = 100;

export class FakeSsm {
  /** Name → its versions, oldest first (a version number stays with its value: deleting the oldest renumbers nothing). */
  readonly parameters = new Map<string, { version: number; value: string; tier?: string; labels: string[] }[]>();
  constructor(private readonly clock: FakeClock) {}
  set(name: string, value: string) {
    this.write(name, value);
  }
  private write(name: string, value: string, tier?: string): number {
    const versions = this.parameters.get(name) ?? [];
    if (versions.length >= SSM_MAX_VERSIONS) {
      const oldest = versions[0];
      // The message of the real service (SSM API reference, ParameterMaxVersionLimitExceeded).
      if (oldest.labels.length) {
        throw new AwsError(
          'ParameterMaxVersionLimitExceeded',
          `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
        );
      }
      versions.shift();
    }
    const version = (versions[versions.length - 1]?.version ?? 0) + 1;
    this.parameters.set(name, [...versions, { version, value, tier, labels: [] }]);
    return version;
  }
  readonly api: Record<string, (b: any) => unknown> = {
    GetParameter: (b) => {
      const [name, selector] = (b.Name as string).split(':');
      const versions = this.parameters.get(name);
      const v = selector ? versions?.find((x) => (/^\d+$/.test(selector) ? x.version === Number(selector) : x.labels.includes(selector))) : versions?.[versions.length - 1];
      if (!v) throw new AwsError(selector && versions ? 'ParameterVersionNotFound' : 'ParameterNotFound', '');
      return { Parameter: { Name: name, Value: v.value, Type: 'String', Version: v.version, LastModifiedDate: this.clock.now / 1000 } };
    },
    PutParameter: (b) => {
      if (this.parameters.has(b.Name) && !b.Overwrite) throw new AwsError('ParameterAlreadyExists', 'The parameter already exists.');
      if ((b.Value as string).length > 8192 || ((b.Value as string).length > 4096 && b.Tier === 'Standard')) throw new AwsError('ValidationException', 'value too long');
      return { Version: this.write(b.Name, b.Value, b.Tier), Tier: (b.Value as string).length > 4096 ? 'Advanced' : 'Standard' };
    },
    LabelParameterVersion: (b) => {
      const versions = this.parameters.get(b.Name);
      if (!versions) throw new AwsError('ParameterNotFound', '');
      const target = versions.find((v) => v.version === b.ParameterVersion);
      if (!target) throw new AwsError('ParameterVersionNotFound', `Systems Manager could not find version ${b.ParameterVersion} of ${b.Name}.`);
      // A label names one version at a time: labelling moves it.
      for (const label of b.Labels as string[]) {
        versions.forEach((v) => (v.labels = v.labels.filter((l) => l !== label)));
        target.labels.push(label);
      }
      return { InvalidLabels: [], ParameterVersion: b.ParameterVersion };
    },
  };
}

export interface JobReport {
  readonly jobId: string;
  readonly kind: 'success' | 'failure';
  readonly body: any;
  /** When CodePipeline took it (the fake clock). */
  readonly at?: number;
}

/** The environment's own pipelines in the fake (what the stack passes as STEP_PIPELINES). */
export const PIPELINES = ['production-deploy', 'production-destructive', 'production-rollout-scheduler', 'production-maintenance-enable', 'production-maintenance-disable'];
/** The step handler's function in the fake, and the step table. */
export const FUNCTION_ARN = arn('lambda', 'function:step');
export const STEP_TABLE = 'production-steps';

export class FakeCodePipeline {
  readonly reports: JobReport[] = [];
  /** When each job was issued (the fake clock): an action execution's startTime. */
  private readonly issuedAt = new Map<string, number>();
  /** GetPipelineExecution, and what a test sets of an execution (status, type, source revisions). */
  readonly executions = new FakeExecutions((pipeline, executionId) => this.actionExecutions(pipeline, executionId));
  constructor(private readonly clock = new FakeClock()) {}
  /** The jobs CodePipeline issued (GetJobDetails answers), by id. */
  readonly jobs = new Map<string, ReturnType<typeof jobDetails>>();
  readonly api: Record<string, (b: any) => unknown> = {
    GetJobDetails: (b) => ({ jobDetails: this.job(b.jobId) }),
    ListActionExecutions: (b) => this.actionExecutions(b.pipelineName, b.filter?.pipelineExecutionId),
    GetPipelineExecution: (b) => this.executions.get(b),
    PutJobSuccessResult: (b) => this.report('success', b),
    PutJobFailureResult: (b) => this.report('failure', b),
  };

  /** Action executions CodePipeline ended without a report (its time limit, a stop with abandon), by action execution id. */
  readonly ended = new Map<string, 'Succeeded' | 'Failed' | 'Abandoned'>();

  /**
   * ListActionExecutions from the issued jobs (one action execution per actionExecutionId, its
   * continuations included): over once a job of it reported failure or success without a
   * continuation token, or once the test ended it; InProgress until then. One page.
   */
  private actionExecutions(pipeline: string, executionId?: string) {
    const jobs = [...this.jobs.values()].filter((j) => j.data.pipelineContext.pipelineName === pipeline);
    if (!jobs.length && !PIPELINES.includes(pipeline)) throw new AwsError('PipelineNotFoundException', `Pipeline ${pipeline} not found`);
    const ofExecution = jobs.filter((j) => !executionId || j.data.pipelineContext.pipelineExecutionId === executionId);
    if (executionId && !ofExecution.length) throw new AwsError('PipelineExecutionNotFoundException', `Pipeline execution ${executionId} not found in pipeline ${pipeline}`);
    const byAction = new Map<string, typeof jobs>();
    for (const j of ofExecution) {
      const id = j.data.pipelineContext.action.actionExecutionId;
      byAction.set(id, [...(byAction.get(id) ?? []), j]);
    }
    return {
      actionExecutionDetails: [...byAction].map(([actionExecutionId, ofAction]) => {
        const final = this.reports.find((r) => ofAction.some((j) => j.id === r.jobId) && (r.kind === 'failure' || !r.body.continuationToken));
        const { pipelineContext: ctx, actionTypeId, actionConfiguration } = ofAction[0].data;
        const times = ofAction.map((j) => this.issuedAt.get(j.id) ?? 0);
        const last = final?.at ?? Math.max(...times, ...this.reports.filter((r) => ofAction.some((j) => j.id === r.jobId)).map((r) => r.at ?? 0));
        return {
          pipelineExecutionId: ctx.pipelineExecutionId,
          actionExecutionId,
          stageName: ctx.stage.name,
          actionName: ctx.action.name,
          status: this.ended.get(actionExecutionId) ?? (final ? (final.kind === 'success' ? 'Succeeded' : 'Failed') : 'InProgress'),
          input: { actionTypeId, configuration: actionConfiguration.configuration },
          startTime: Math.min(...times) / 1000,
          lastUpdateTime: last / 1000,
          ...(final?.kind === 'success' ? { output: { outputVariables: final.body.outputVariables ?? {}, executionResult: { externalExecutionSummary: final.body.executionDetails?.summary } } } : {}),
        };
      }),
    };
  }

  /** Issues a job: from now on GetJobDetails knows it. */
  issue(job: JobOptions): ReturnType<typeof jobDetails> {
    const details = jobDetails(job);
    this.jobs.set(details.id, details);
    if (!this.issuedAt.has(details.id)) this.issuedAt.set(details.id, this.clock.now);
    return details;
  }

  private job(id: string) {
    const job = this.jobs.get(id);
    if (!job) throw new AwsError('JobNotFoundException', 'The job was specified in an invalid format or cannot be found.');
    return job;
  }

  private report(kind: JobReport['kind'], body: any) {
    this.job(body.jobId);
    if (this.reports.some((r) => r.jobId === body.jobId)) throw new AwsError('InvalidJobStateException', `Job ${body.jobId} is not in progress`);
    this.reports.push({ jobId: body.jobId, kind, body, at: this.clock.now });
    return {};
  }
}

type Handler = (event: CodePipelineEvent, context: { getRemainingTimeInMillis(): number }) => Promise<void>;

export class FakeAws extends LoopbackServer {
  readonly clock = new FakeClock();
  readonly logs = new FakeLogs();
  readonly ecs = new FakeEcs(this.clock, this.logs);
  /** ECS native blue/green deployments and lifecycle hooks (ecs-bluegreen.ts), for the services it enables. */
  readonly bluegreen = new FakeEcsBlueGreen(this.clock, this.ecs);
  readonly ssm = new FakeSsm(this.clock);
  readonly codepipeline = new FakeCodePipeline(this.clock);
  readonly ecr = new FakeEcr(this.clock);
  readonly secretsManager = new FakeSecretsManager();
  readonly dynamodb = new FakeDynamoDb().createTable(STEP_TABLE);
  readonly elbv2 = new FakeElbv2();
  readonly objects = new Map<string, Buffer>();
  /** Versioned buckets (the S3 source); other buckets are plain `objects`. */
  readonly versionedS3 = new FakeVersionedS3(this.clock);
  /** Every API call: `ECS.RunTask`, `SSM.PutParameter`, `S3.GET`, … with its body. */
  readonly requests: { op: string; body: any }[] = [];
  private readonly faults: { op: string; error: AwsError; times: number }[] = [];

  /** The next `times` calls of `op` (e.g. `ECS.UpdateService`) fail with this error. */
  fail(op: string, code: string, message = code, times = 1, status = 400) {
    this.faults.push({ op, error: new AwsError(code, message, status), times });
  }

  calls(op: string): any[] {
    return this.requests.filter((r) => r.op === op).map((r) => r.body);
  }

  /** Runtime deps: clients on this fake, sleep and now on the clock. */
  deps(): RuntimeDeps {
    return {
      sleep: async (ms) => this.clock.advance(ms),
      now: () => this.clock.now,
      clientConfig: { endpoint: this.url, region: REGION, forcePathStyle: true, maxAttempts: 3 },
      table: STEP_TABLE,
      pipelines: PIPELINES,
      functionArn: FUNCTION_ARN,
    };
  }

  /** A Lambda context whose remaining time runs down with the clock. */
  context(ms = 300_000) {
    const deadline = this.clock.now + ms;
    return { getRemainingTimeInMillis: () => deadline - this.clock.now, functionName: 'step', invokedFunctionArn: FUNCTION_ARN };
  }

  /** A Lambda context whose remaining time runs down with the wall clock (a handler talking to a real server). */
  realTimeContext(ms = 300_000) {
    const deadline = Date.now() + ms;
    return { getRemainingTimeInMillis: () => deadline - Date.now(), functionName: 'step', invokedFunctionArn: FUNCTION_ARN };
  }

  /**
   * Runs a job the way CodePipeline does: invoke, and while the handler answers with a
   * continuation token, invoke again (a new job id) 30 s later with the token.
   */
  /**
   * The event of a job this fake's CodePipeline issued. Tests build every handler invocation
   * through this (or runJob): handlers corroborate their job with CodePipeline.
   */
  event(job: JobOptions): CodePipelineEvent {
    this.codepipeline.issue(job);
    return jobEvent(job);
  }

  async runJob(handler: Handler, job: JobOptions, options: { lambdaMs?: number; maxInvocations?: number; wait?: (ms: number) => Promise<void>; realTime?: boolean } = {}) {
    let event = this.event(job);
    const baseId = event['CodePipeline.job'].id;
    for (let n = 1; n <= (options.maxInvocations ?? 200); n++) {
      const jobId = event['CodePipeline.job'].id;
      await handler(event, options.realTime ? this.realTimeContext(options.lambdaMs) : this.context(options.lambdaMs));
      const report = this.codepipeline.reports.find((r) => r.jobId === jobId);
      if (!report) throw new Error(`invocation ${n} of job ${jobId} reported nothing`);
      const token = report.body.continuationToken;
      if (report.kind === 'failure' || !token) return { report, invocations: n, tokens: this.codepipeline.reports.filter((r) => r.jobId.startsWith(baseId)).map((r) => r.body.continuationToken).filter(Boolean) as string[] };
      if (options.wait) await options.wait(30_000);
      else this.clock.advance(30_000);
      // A continuation is a new job of the same action execution.
      const context = this.codepipeline.jobs.get(baseId)!.data.pipelineContext;
      event = this.event({ ...job, id: `${baseId.slice(0, 28)}-c${n}`, continuationToken: token, pipelineExecutionId: context.pipelineExecutionId, actionExecutionId: context.action.actionExecutionId });
    }
    throw new Error('job never finished');
  }

  /** The states the continuation tokens carried (decoded; inline tokens only). */
  static states(tokens: string[]): unknown[] {
    return tokens.map((t) => decodeToken(t));
  }

  /** The state a token carries, inline or stored in the step table (a pointer), for the job `jobId` received it in. */
  tokenState(token: string, jobId: string): unknown {
    const writer = tokenPointer(token);
    if (writer === undefined) return decodeToken(token);
    const ctx = this.codepipeline.jobs.get(jobId)!.data.pipelineContext;
    const job: VerifiedJob = { id: jobId, pipelineName: ctx.pipelineName, pipelineExecutionId: ctx.pipelineExecutionId, stageName: ctx.stage.name, actionName: ctx.action.name };
    const item = this.dynamodb.tables.get(STEP_TABLE)!.get(stateKey(job, writer));
    return item && JSON.parse(item.value.S!);
  }

  protected async serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    // Elastic Load Balancing v2 speaks AWS Query: a form-encoded POST, an XML answer.
    if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return this.elbv2Request(raw.toString('utf8'), res);
    const target = req.headers['x-amz-target'] as string | undefined;
    const [prefix, action] = target ? target.split('.') : ['S3', req.method!];
    const service = { AmazonEC2ContainerServiceV20141113: 'ECS', AmazonSSM: 'SSM', Logs_20140328: 'Logs', CodePipeline_20150709: 'CodePipeline', AmazonEC2ContainerRegistry_V20150921: 'ECR', DynamoDB_20120810: 'DynamoDB', secretsmanager: 'SecretsManager', S3: 'S3' }[prefix] ?? prefix;
    const op = `${service}.${action}`;
    const body = target ? JSON.parse(raw.toString() || '{}') : { path: decodeURIComponent(req.url!.split('?')[0]), bytes: raw.length };
    this.requests.push({ op, body });
    try {
      const fault = this.faults.find((f) => f.op === op && f.times > 0);
      if (fault) {
        fault.times--;
        throw fault.error;
      }
      if (service === 'S3' && this.versionedS3.handles(req.url!)) return this.versionedS3.serve(req.method!, req.url!, res);
      if (service === 'S3') return this.s3(req.method!, body.path, raw, res, req.url!);
      const api = { ECS: this.ecs.api, SSM: this.ssm.api, Logs: this.logs.api, CodePipeline: this.codepipeline.api, ECR: this.ecr.api, DynamoDB: this.dynamodb.api, SecretsManager: this.secretsManager.api }[service];
      const fn = api?.[action];
      if (!fn) throw new AwsError('UnknownOperationException', `fake has no ${op}`);
      const out = fn(body);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(out));
    } catch (err) {
      if (err instanceof DynamoDbError) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${err.code}`, message: err.message, ...err.extra }));
        return;
      }
      const e = err instanceof AwsError ? err : new AwsError('InternalFailure', String(err), 500);
      if (service === 'S3') {
        res.writeHead(e.status, { 'content-type': 'application/xml' }).end(`<Error><Code>${e.code}</Code><Message>${e.message}</Message></Error>`);
      } else {
        res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: e.code, message: e.message }));
      }
    }
  }

  private elbv2Request(body: string, res: ServerResponse) {
    const input = parseQuery(body);
    this.requests.push({ op: `ELBv2.${input.Action}`, body: input });
    try {
      const xml = this.elbv2.handle(body);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalFailure', String(err), 500);
      res.writeHead(e.status, { 'content-type': 'text/xml' }).end(`<ErrorResponse><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${e.message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);
    }
  }

  private s3(method: string, path: string, raw: Buffer, res: ServerResponse, url: string) {
    const query = new URLSearchParams(url.split('?')[1] ?? '');
    // ListObjectsV2 (`GET /<bucket>?list-type=2&prefix=…`): keys in UTF-8 order, at most max-keys (S3's default 1000).
    if (method === 'GET' && query.get('list-type') === '2') {
      const bucket = path.replace(/^\/|\/$/g, '');
      const prefix = query.get('prefix') ?? '';
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(`/${bucket}/`)).map((k) => k.slice(bucket.length + 2)).filter((k) => k.startsWith(prefix)).sort();
      const shown = keys.slice(0, Number(query.get('max-keys') ?? 1000));
      const contents = shown.map((k) => `<Contents><Key>${k}</Key><Size>${this.objects.get(`/${bucket}/${k}`)!.length}</Size></Contents>`).join('');
      res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${shown.length}</KeyCount><MaxKeys>${query.get('max-keys') ?? 1000}</MaxKeys><IsTruncated>${shown.length < keys.length}</IsTruncated>${contents}</ListBucketResult>`);
      return;
    }
    if (method === 'PUT') {
      this.objects.set(path, raw);
      res.writeHead(200, { etag: '"etag"' }).end();
      return;
    }
    const object = this.objects.get(path);
    if (!object) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': object.length }).end(object);
  }
}
