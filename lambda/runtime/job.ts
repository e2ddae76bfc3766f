/**
 * The CodePipeline job lifecycle, shared by every step handler.
 *
 * A step is a function from (parameters, resumed state) to a result: done, continue (with a small
 * state to resume from), or a thrown StepFailure/Error. This module turns that into exactly one
 * PutJobSuccessResult or PutJobFailureResult per invocation, never throws back to Lambda (which
 * would retry an invocation whose side effects already happened), and keeps secrets out of logs.
 */
import {
  CodePipelineClient,
  FailureType,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import type { CodePipelineEvent, Context } from 'aws-lambda';

/** Continuation tokens must be 1-2048 characters; we stay well inside. */
export const MAX_TOKEN_LENGTH = 2048;
/** PutJobFailureResult message limit. */
export const MAX_FAILURE_MESSAGE = 5000;
/** Version of the continuation-token envelope. */
export const TOKEN_VERSION = 1;

export type JobData = CodePipelineEvent['CodePipeline.job']['data'];

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
  /** The validated UserParameters. */
  readonly params: P;
  /** Input/output artifacts and their (temporary) credentials. Never log this. */
  readonly data: JobData;
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
  /** Small JSON state to resume from (goes into the continuation token). */
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
}

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

/** Builds the Lambda handler for a step. */
export function defineStep<P, S = never>(step: StepDefinition<P, S>, deps: RuntimeDeps = {}) {
  return async (event: CodePipelineEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> => {
    const clientConfig = deps.clientConfig ?? DEFAULT_CLIENT_CONFIG;
    const codepipeline = deps.codepipeline ?? cachedClient(CodePipelineClient, clientConfig);
    const job = event['CodePipeline.job'];
    const jobId = job.id;
    // The id and whether it resumes, nothing more: job.data holds the artifact credentials.
    console.log(JSON.stringify({ step: step.name, jobId, resumed: Boolean(job.data.continuationToken) }));

    let result: StepResult<S>;
    try {
      const params = step.parseParams(decodeUserParameters(job.data.actionConfiguration?.configuration?.UserParameters));
      const state = job.data.continuationToken ? decodeToken<S>(job.data.continuationToken) : undefined;
      if (context.getRemainingTimeInMillis() < (deps.minStartMs ?? 10_000)) {
        result = { status: 'continue', state: state as S, summary: `${step.name}: too little time left in this invocation; resuming` };
      } else {
        result = await step.run(
          {
            jobId,
            params,
            data: job.data,
            remainingMs: () => context.getRemainingTimeInMillis(),
            sleep: deps.sleep ?? defaultSleep,
            now: deps.now ?? Date.now,
            client: (ctor) => cachedClient(ctor, clientConfig),
            clientConfig,
          },
          state,
        );
      }
    } catch (err) {
      await putFailure(codepipeline, jobId, err);
      return;
    }
    console.log(JSON.stringify({ jobId, status: result.status, summary: result.summary }));
    await putSuccess(codepipeline, jobId, result);
  };
}

function decodeUserParameters(raw: string | undefined): unknown {
  if (raw === undefined || raw === '') return {};
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new StepFailure(`UserParameters is not valid JSON (${(err as Error).message})`, 'ConfigurationError');
  }
}

export function encodeToken(state: unknown): string {
  const token = Buffer.from(JSON.stringify({ v: TOKEN_VERSION, s: state })).toString('base64url');
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new StepFailure(`continuation state is ${token.length} characters, more than CodePipeline's ${MAX_TOKEN_LENGTH}`);
  }
  return token;
}

export function decodeToken<S>(token: string): S {
  let envelope: { v?: unknown; s?: unknown };
  try {
    envelope = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new StepFailure(`continuation token is corrupted (not base64url JSON): ${token.slice(0, 80)}: retry the stage`, 'JobFailed');
  }
  if (envelope?.v !== TOKEN_VERSION) {
    throw new StepFailure(
      `continuation token has version ${JSON.stringify(envelope?.v)}, this handler reads version ${TOKEN_VERSION}: retry the stage`,
      'JobFailed',
    );
  }
  // No `s`: the job was handed back before it started, so the step starts afresh.
  return (envelope.s ?? undefined) as S;
}

async function putSuccess<S>(codepipeline: CodePipelineClient, jobId: string, result: StepResult<S>): Promise<void> {
  if (result.status === 'continue') {
    let continuationToken: string;
    try {
      continuationToken = encodeToken(result.state);
    } catch (err) {
      await putFailure(codepipeline, jobId, err);
      return;
    }
    await ignoreFinished(
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
    return;
  }
  await ignoreFinished(
    codepipeline.send(
      new PutJobSuccessResultCommand({
        jobId,
        executionDetails: { summary: truncate(result.summary, 2048), percentComplete: 100 },
        outputVariables: result.outputVariables,
      }),
    ),
  );
}

async function putFailure(codepipeline: CodePipelineClient, jobId: string, err: unknown): Promise<void> {
  const { message, type } = describeError(err);
  console.error(JSON.stringify({ jobId, failureType: type, message }));
  await ignoreFinished(
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
  if (/^(ParameterNotFound|ServiceNotFoundException|ClusterNotFoundException)$/.test(name)) {
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

/** A job already finished (duplicate delivery) answers InvalidJobStateException: that is done, not an error. */
async function ignoreFinished(send: Promise<unknown>): Promise<void> {
  try {
    await send;
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'InvalidJobStateException' || name === 'JobNotFoundException') {
      console.log(JSON.stringify({ note: `job already finished (${name}); nothing to report` }));
      return;
    }
    throw err;
  }
}

function clampPercent(p: number | undefined): number | undefined {
  return p === undefined ? undefined : Math.max(0, Math.min(100, Math.round(p)));
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 15)} …(truncated)`;
}
