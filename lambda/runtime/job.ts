/**
 * The CodePipeline job lifecycle, shared by every step handler.
 *
 * A step is a function from (parameters, resumed state) to a result: done, continue (with a small
 * state to resume from), or a thrown StepFailure/Error. This module turns that into exactly one
 * PutJobSuccessResult or PutJobFailureResult per job, never throws back to Lambda (which would
 * retry an invocation whose side effects already happened), and keeps secrets out of logs.
 *
 * Every invocation, in this order:
 * 1. corroborates the job with CodePipeline (GetJobDetails, see verify.ts): a job that CodePipeline
 *    did not issue for one of the environment's own pipelines, for this function, with exactly
 *    the event's configuration and artifacts, is refused: logged, no side effect, no PutJob*;
 * 2. takes the job's exactly-once record (Powertools idempotency on the step table, keyed on the
 *    verified job id): a concurrent second delivery loses the race and does nothing, reports
 *    nothing; a later duplicate of a finished job does nothing again;
 * 3. runs the step with CodePipeline's configuration, artifacts, credentials and token, and
 *    reports the result (a state too large for a token goes to the table, the token points to it).
 */
import {
  CodePipelineClient,
  FailureType,
  GetJobDetailsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  type JobDetails,
} from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyPersistenceLayerError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { CodePipelineEvent, Context } from 'aws-lambda';
import { RECORD_TTL_SECONDS, StepTable, type StepRecords } from './records';
import { corroborate, parseFunction, type Identity, type JobData, type VerifiedJob } from './verify';

export type { JobData, VerifiedJob } from './verify';
export type { StepRecords } from './records';

/** Continuation tokens must be 1-2048 characters. */
export const MAX_TOKEN_LENGTH = 2048;
/**
 * A state whose token would be longer than this goes to the step table and the token carries a
 * pointer: well under CodePipeline's 2048, whatever base64 and the envelope add.
 */
export const INLINE_TOKEN_LIMIT = 1024;
/** A stored state must fit a DynamoDB item (400 KB) with its key and attributes. */
export const MAX_STORED_STATE = 350_000;
/** PutJobFailureResult message limit. */
export const MAX_FAILURE_MESSAGE = 5000;
/** Version of the continuation-token envelope: `{v, s: state}` inline, `{v, ref: jobId}` a pointer. */
export const TOKEN_VERSION = 1;

/**
 * Configuration shared by every AWS client a step creates (tests point `endpoint` at a fake
 * on 127.0.0.1).
 */
export interface ClientConfig {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  readonly maxAttempts?: number;
}

/** An AWS SDK v3 client class, e.g. ECSClient. */
export type ClientClass<C> = new (config: ClientConfig) => C;

export interface StepContext<P> {
  readonly jobId: string;
  /** The job as CodePipeline issued it: pipeline, execution, stage and action (corroborated). */
  readonly job: VerifiedJob;
  /** The validated UserParameters (CodePipeline's, not the event's). */
  readonly params: P;
  /** Input/output artifacts and their (temporary) credentials, from CodePipeline. Never log this. */
  readonly data: JobData;
  /** Durable records with atomic conditional writes (the step table). */
  readonly records: StepRecords;
  /** Milliseconds left in this invocation. */
  remainingMs(): number;
  /** Waits between polls; tests replace it through the clock. */
  sleep(ms: number): Promise<void>;
  /** Wall-clock milliseconds (Date.now); tests replace it through the clock. */
  now(): number;
  /** The Lambda container's client of an AWS service, e.g. `ctx.client(ECSClient)`. */
  client<C>(ctor: ClientClass<C>): C;
  /** For clients a step builds itself (the artifact S3 client, with the job's credentials). */
  readonly clientConfig: ClientConfig;
}

export interface StepDone {
  readonly status: 'done';
  /** One line for the console's execution details. */
  readonly summary: string;
  readonly outputVariables?: Record<string, string>;
}

export interface StepContinue<S> {
  readonly status: 'continue';
  /** JSON state to resume from: in the continuation token, or in the step table when large. */
  readonly state: S;
  readonly summary: string;
  readonly percentComplete?: number;
}

export type StepResult<S> = StepDone | StepContinue<S>;

export type StepFailureType = `${FailureType}`;

/** A failure the step diagnosed: its message is what a person reads in the console. */
export class StepFailure extends Error {
  constructor(message: string, readonly failureType: StepFailureType = 'JobFailed') {
    super(message);
    this.name = 'StepFailure';
  }
}

export interface StepDefinition<P, S> {
  /** Name used in logs and messages. */
  readonly name: string;
  /** Validates the decoded UserParameters JSON; throw StepFailure('...', 'ConfigurationError'). */
  parseParams(raw: unknown): P;
  /** Runs (or resumes, when state is defined) the step. */
  run(ctx: StepContext<P>, state: S | undefined): Promise<StepResult<S>>;
}

export interface RuntimeDeps {
  readonly codepipeline?: CodePipelineClient;
  readonly dynamodb?: DynamoDBClient;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** @default {} (the Lambda's region and credentials) */
  readonly clientConfig?: ClientConfig;
  /**
   * An invocation with less time than this left hands the job straight back (continuation with
   * its state unchanged): a side effect must never be cut off before its outcome is recorded.
   * @default 10000
   */
  readonly minStartMs?: number;
  /** The step table (exactly-once records, step records, large states). @default process.env.STEP_TABLE */
  readonly table?: string;
  /** The environment's own pipelines. @default process.env.STEP_PIPELINES (comma-separated) */
  readonly pipelines?: readonly string[];
  /** This function, when the Lambda context does not say (tests). @default the context's invokedFunctionArn */
  readonly functionArn?: string;
}

/** What the handler needs of the Lambda context (a test passes less than Lambda does). */
export type LambdaContext = Pick<Context, 'getRemainingTimeInMillis'> & Partial<Pick<Context, 'functionName' | 'invokedFunctionArn'>>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const DEFAULT_CLIENT_CONFIG: ClientConfig = {};

/** One client per class and config for the container's life: warm invocations reuse connections. */
const clients = new Map<ClientClass<unknown>, { config: ClientConfig; client: unknown }>();

function cachedClient<C>(ctor: ClientClass<C>, config: ClientConfig): C {
  const hit = clients.get(ctor);
  if (hit?.config === config) return hit.client as C;
  const client = new ctor(config);
  clients.set(ctor, { config, client });
  return client;
}

/** One structured log line; `level: 'ERROR'` goes to stderr. */
function log(level: 'INFO' | 'WARN' | 'ERROR', fields: Record<string, unknown>): void {
  (level === 'ERROR' ? console.error : level === 'WARN' ? console.warn : console.log)(JSON.stringify({ level, ...fields }));
}

/** The environment's own pipelines, as the stack passes them (STEP_PIPELINES, comma-separated). */
export function environmentPipelines(): string[] {
  return (process.env.STEP_PIPELINES ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

/** Who this function is and what it may serve, or the list of what is missing. */
function identityOf(deps: RuntimeDeps, context: LambdaContext): { identity: Identity; table: string } | { missing: string[] } {
  // Stryker disable next-line StringLiteral: any text without an ARN's account parses to no account, as '' does
  const arn = parseFunction(context.invokedFunctionArn ?? deps.functionArn ?? '');
  const functionName = context.functionName ?? (arn.account ? arn.name : undefined);
  const pipelines = deps.pipelines ?? environmentPipelines();
  const table = deps.table ?? process.env.STEP_TABLE;
  const missing = [
    !functionName && 'the function name (Lambda context)',
    !arn.account && 'the account (invokedFunctionArn)',
    !pipelines.length && 'STEP_PIPELINES',
    !table && 'STEP_TABLE',
  ].filter((m): m is string => !!m);
  if (missing.length) return { missing };
  return { identity: { functionName: functionName!, accountId: arn.account!, pipelines }, table: table! };
}

/** Builds the Lambda handler for a step. */
export function defineStep<P, S = never>(step: StepDefinition<P, S>, deps: RuntimeDeps = {}) {
  return async (event: CodePipelineEvent, context: LambdaContext): Promise<void> => {
    const clientConfig = deps.clientConfig ?? DEFAULT_CLIENT_CONFIG;
    const codepipeline = deps.codepipeline ?? cachedClient(CodePipelineClient, clientConfig);
    const sleep = deps.sleep ?? defaultSleep;
    // The event is not trusted yet: its id (JSON-escaped) and nothing of job.data (artifact credentials).
    const jobId = String(event?.['CodePipeline.job']?.id ?? '');
    log('INFO', { step: step.name, jobId: jobId.slice(0, 100), resumed: Boolean(event?.['CodePipeline.job']?.data?.continuationToken) });
    const who = identityOf(deps, context);
    if ('missing' in who) {
      log('ERROR', { step: step.name, jobId: jobId.slice(0, 100), refused: 'runtime not configured', missing: who.missing });
      return;
    }
    const retry = { remainingMs: () => context.getRemainingTimeInMillis(), sleep };
    let details: JobDetails | undefined;
    try {
      details = await withRetries(`CodePipeline GetJobDetails ${jobId.slice(0, 100)}`, retry, async () => {
        try {
          return (await codepipeline.send(new GetJobDetailsCommand({ jobId }))).jobDetails;
        } catch (err) {
          // A made-up id: AWS answers JobNotFoundException (or ValidationException for an id that is no UUID).
          if (['JobNotFoundException', 'ValidationException'].includes((err as Error).name)) return undefined;
          throw err;
        }
      });
    } catch (err) {
      log('ERROR', { step: step.name, jobId: jobId.slice(0, 100), refused: 'job could not be corroborated', error: describeError(err).message });
      return;
    }
    const verdict = corroborate(event, details, who.identity);
    if ('refused' in verdict) {
      log('WARN', { step: step.name, jobId: jobId.slice(0, 100), refused: verdict.refused, note: 'nothing done, nothing reported' });
      return;
    }
    const dynamodb = deps.dynamodb ?? cachedClient(DynamoDBClient, clientConfig);
    const table = new StepTable(dynamodb, who.table, deps.now ?? Date.now, call);
    const job = verdict.job;
    let ran = false;
    const config = new IdempotencyConfig({ expiresAfterSeconds: RECORD_TTL_SECONDS });
    // An in-progress record expires with this invocation: a crashed one does not block the job for 2 days.
    config.registerLambdaContext(context as Context);
    const once = makeIdempotent(
      async (_key: { jobId: string }) => {
        ran = true;
        return runJob(step, deps, { job, data: verdict.data, table, codepipeline, context, clientConfig, sleep });
      },
      { persistenceStore: new DynamoDBPersistenceLayer({ tableName: who.table, awsSdkV3Client: dynamodb }), config, keyPrefix: 'job' },
    );
    try {
      const outcome = await once({ jobId: job.id });
      if (!ran) log('INFO', { step: step.name, jobId: job.id, duplicate: 'this job was already handled', outcome });
    } catch (err) {
      if (err instanceof IdempotencyAlreadyInProgressError) {
        log('INFO', { step: step.name, jobId: job.id, duplicate: 'lost the race: another delivery of this job is in progress; nothing done, nothing reported' });
      } else if (err instanceof IdempotencyPersistenceLayerError && !ran) {
        // Nothing was done: say so, and where the record could not be taken.
        const cause = describeError(err.cause ?? err);
        await putFailure(codepipeline, job.id, new StepFailure(`${step.name}: could not take the job's exactly-once record in DynamoDB table ${who.table}: ${cause.message}: nothing was done; retry the stage`, cause.type), retry);
      } else {
        // After the step ran (and reported): only the record's completion failed. Never throw to Lambda.
        log('ERROR', { step: step.name, jobId: job.id, error: `after the step ran: ${describeError((err as { cause?: unknown }).cause ?? err).message}` });
      }
    }
  };
}

interface Invocation {
  readonly job: VerifiedJob;
  readonly data: JobData;
  readonly table: StepTable;
  readonly codepipeline: CodePipelineClient;
  readonly context: LambdaContext;
  readonly clientConfig: ClientConfig;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Runs the step and reports; returns what the exactly-once record keeps (no secrets, small). */
async function runJob<P, S>(step: StepDefinition<P, S>, deps: RuntimeDeps, inv: Invocation): Promise<{ status: string; reported: boolean }> {
  const { job, data, table, codepipeline, context } = inv;
  const retry = { remainingMs: () => context.getRemainingTimeInMillis(), sleep: inv.sleep };
  let result: StepResult<S>;
  try {
    // Stryker disable next-line OptionalChaining: corroborate() always builds actionConfiguration.configuration
    const params = step.parseParams(decodeUserParameters(data.actionConfiguration?.configuration?.UserParameters));
    const state = data.continuationToken ? await resumeState<S>(data.continuationToken, table, job) : undefined;
    if (context.getRemainingTimeInMillis() < (deps.minStartMs ?? 10_000)) {
      result = { status: 'continue', state: state as S, summary: `${step.name}: too little time left in this invocation; resuming` };
    } else {
      result = await step.run(
        {
          jobId: job.id,
          job,
          params,
          data,
          records: table.records(),
          remainingMs: () => context.getRemainingTimeInMillis(),
          sleep: inv.sleep,
          now: deps.now ?? Date.now,
          client: (ctor) => cachedClient(ctor, inv.clientConfig),
          clientConfig: inv.clientConfig,
        },
        state,
      );
    }
  } catch (err) {
    return { status: 'failed', reported: await putFailure(codepipeline, job.id, err, retry) };
  }
  log('INFO', { jobId: job.id, status: result.status, summary: result.summary });
  return { status: result.status, reported: await putSuccess(codepipeline, job, result, table, retry) };
}

function decodeUserParameters(raw: string | undefined): unknown {
  if (!raw) return {};
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new StepFailure(`UserParameters is not valid JSON (${(err as Error).message})`, 'ConfigurationError');
  }
}

const envelope = (body: object) => Buffer.from(JSON.stringify({ v: TOKEN_VERSION, ...body })).toString('base64url');

/** The inline token of a state; throws when it would exceed CodePipeline's limit (see tokenFor for large states). */
export function encodeToken(state: unknown): string {
  const token = envelope({ s: state });
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new StepFailure(`continuation state is ${token.length} characters, more than CodePipeline's ${MAX_TOKEN_LENGTH}`);
  }
  return token;
}

type Token<S> = { readonly state: S } | { readonly ref: string };

function readToken<S>(token: string): Token<S> {
  let body: { v?: unknown; s?: unknown; ref?: unknown };
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new StepFailure(`continuation token is corrupted (not base64url JSON): ${token.slice(0, 80)}: retry the stage`, 'JobFailed');
  }
  if (body?.v !== TOKEN_VERSION) {
    throw new StepFailure(
      `continuation token has version ${JSON.stringify(body?.v)}, this handler reads version ${TOKEN_VERSION}: retry the stage`,
      'JobFailed',
    );
  }
  if (typeof body.ref === 'string') return { ref: body.ref };
  // No `s`: the job was handed back before it started, so the step starts afresh.
  return { state: (body.s ?? undefined) as S };
}

/** The state of an inline token (a pointer token needs the step table: the runtime resolves it). */
export function decodeToken<S>(token: string): S {
  const t = readToken<S>(token);
  if ('ref' in t) throw new StepFailure(`continuation token points to the state stored by job ${t.ref}: only the runtime reads it`);
  return t.state;
}

/** Whether a token is a pointer to a stored state, and to whose (the job that stored it). */
export function tokenPointer(token: string): string | undefined {
  const t = readToken(token);
  return 'ref' in t ? t.ref : undefined;
}

/**
 * Where a continuation state too large for a token lives: per action of a pipeline execution
 * (stable across the action's jobs) and per writing job (each continuation writes its own item).
 */
export function stateKey(job: VerifiedJob, writerJobId: string): string {
  return `state#${job.pipelineExecutionId}#${job.stageName}#${job.actionName}#${writerJobId}`;
}

async function tokenFor(state: unknown, table: StepTable, job: VerifiedJob): Promise<string> {
  const inline = envelope({ s: state });
  if (inline.length <= INLINE_TOKEN_LIMIT) return inline;
  const size = JSON.stringify(state).length;
  if (size > MAX_STORED_STATE) {
    throw new StepFailure(`continuation state is ${size} characters, more than the step table holds (${MAX_STORED_STATE})`);
  }
  await table.put(stateKey(job, job.id), state, RECORD_TTL_SECONDS);
  return envelope({ ref: job.id });
}

async function resumeState<S>(token: string, table: StepTable, job: VerifiedJob): Promise<S | undefined> {
  const t = readToken<S>(token);
  if (!('ref' in t)) return t.state;
  const state = await table.get<S>(stateKey(job, t.ref));
  if (state === undefined) {
    throw new StepFailure(
      `the continuation state of ${job.stageName}/${job.actionName} (item ${stateKey(job, t.ref)} in DynamoDB table ${table.tableName}) is missing or expired (kept ${RECORD_TTL_SECONDS / 3600} h): the step cannot resume; retry the stage`,
      'JobFailed',
    );
  }
  return state;
}

interface Retry {
  remainingMs(): number;
  sleep(ms: number): Promise<void>;
}

/** Reporting retries on top of the SDK's own: bounded, and only while the invocation has time. */
const REPORT_ATTEMPTS = 6;
const REPORT_RESERVE_MS = 2000;

/** Throttling, 5xx and network errors: worth another attempt. */
export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string };
  // Stryker disable next-line StringLiteral: the fallback for a missing name only needs to match none of the names
  if (/Throttl|TooManyRequests|RequestLimitExceeded|Timeout|ServiceUnavailable|InternalFailure|InternalError/i.test(e?.name ?? '')) return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP answer at all: a network error (ECONNRESET, socket hang up, …).
  // Stryker disable next-line StringLiteral: the fallbacks for missing parts only need to match none of the patterns
  return /ECONN|EPIPE|ENOTFOUND|EAI_AGAIN|socket|network/i.test(`${e?.code ?? ''} ${e?.name ?? ''} ${(err as Error)?.message ?? ''}`);
}

async function withRetries<T>(what: string, retry: Retry, send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const delay = Math.min(1000 * 2 ** (attempt - 1), 8000);
      if (attempt >= REPORT_ATTEMPTS || !isTransient(err) || retry.remainingMs() < delay + REPORT_RESERVE_MS) throw err;
      log('WARN', { retrying: what, attempt, error: describeError(err).message });
      await retry.sleep(delay);
    }
  }
}

/**
 * Sends a PutJob* call. Only InvalidJobStateException means "the job is already finished"
 * (another delivery reported it). Anything else that still fails after the retries is an error
 * in the log, never swallowed: the action would otherwise time out 20 minutes later, unexplained.
 * @returns whether CodePipeline took the report
 */
async function report(jobId: string, what: string, retry: Retry, send: () => Promise<unknown>): Promise<boolean> {
  try {
    await withRetries(`CodePipeline ${what} ${jobId}`, retry, send);
    return true;
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'InvalidJobStateException') {
      log('INFO', { jobId, note: `job already finished (${name}); nothing to report` });
      return false;
    }
    log('ERROR', {
      jobId,
      error: `CodePipeline ${what} failed: ${describeError(err).message}`,
      note:
        name === 'JobNotFoundException'
          ? 'CodePipeline no longer knows a job it issued to this invocation'
          : 'the result was not reported: the action fails on its timeout; retry the stage',
    });
    return false;
  }
}

async function putSuccess<S>(codepipeline: CodePipelineClient, job: VerifiedJob, result: StepResult<S>, table: StepTable, retry: Retry): Promise<boolean> {
  const jobId = job.id;
  if (result.status === 'continue') {
    let continuationToken: string;
    try {
      continuationToken = await tokenFor(result.state, table, job);
    } catch (err) {
      return putFailure(codepipeline, jobId, err, retry);
    }
    return report(jobId, 'PutJobSuccessResult', retry, () =>
      codepipeline.send(
        new PutJobSuccessResultCommand({
          jobId,
          continuationToken,
          executionDetails: {
            summary: truncate(result.summary, 2048),
            percentComplete: clampPercent(result.percentComplete),
          },
        }),
      ),
    );
  }
  return report(jobId, 'PutJobSuccessResult', retry, () =>
    codepipeline.send(
      new PutJobSuccessResultCommand({
        jobId,
        executionDetails: { summary: truncate(result.summary, 2048), percentComplete: 100 },
        outputVariables: result.outputVariables,
      }),
    ),
  );
}

async function putFailure(codepipeline: CodePipelineClient, jobId: string, err: unknown, retry: Retry): Promise<boolean> {
  const { message, type } = describeError(err);
  log('ERROR', { jobId, failureType: type, message });
  return report(jobId, 'PutJobFailureResult', retry, () =>
    codepipeline.send(
      new PutJobFailureResultCommand({
        jobId,
        failureDetails: { type, message: truncate(message, MAX_FAILURE_MESSAGE) },
      }),
    ),
  );
}

/** Maps any error to a failure type and a message a person can act on. */
export function describeError(err: unknown): { message: string; type: StepFailureType } {
  if (err instanceof StepFailure) return { message: err.message, type: err.failureType };
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
  const name = e?.name ?? 'Error';
  const message = `${name}: ${e?.message ?? String(err)}`;
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(name) || e?.$metadata?.httpStatusCode === 403) {
    return { message: `${message} (the step's role lacks a permission: check its IAM policy)`, type: 'PermissionError' };
  }
  // A configured name that does not exist (Secrets Manager, DynamoDB, Logs, … say ResourceNotFoundException): fixed in the configuration, not by a retry.
  if (/^(ParameterNotFound|ServiceNotFoundException|ClusterNotFoundException|ResourceNotFoundException)$/.test(name)) {
    return { message: `${message} (the pipeline names something that does not exist: check the stack's configuration)`, type: 'ConfigurationError' };
  }
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(name)) {
    return { message: `${message} (still throttled after ${e?.$metadata?.attempts ?? 'several'} attempts: retry the stage)`, type: 'JobFailed' };
  }
  return { message, type: 'JobFailed' };
}

/**
 * Awaits an AWS call; a failure becomes a StepFailure that says what was being done and where
 * (`ECS UpdateService production-zed in cluster production`): SDK messages rarely name the resource.
 */
export async function call<T>(what: string, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof StepFailure) throw err;
    const { message, type } = describeError(err);
    throw new StepFailure(`${what} failed: ${message}`, type);
  }
}

function clampPercent(p: number | undefined): number | undefined {
  return p === undefined ? undefined : Math.max(0, Math.min(100, Math.round(p)));
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 15)} …(truncated)`;
}
