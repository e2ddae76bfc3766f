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
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Builds the Lambda handler for a step. */
export function defineStep<P, S = never>(step: StepDefinition<P, S>, deps: RuntimeDeps = {}) {
  return async (event: CodePipelineEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> => {
    const codepipeline = deps.codepipeline ?? new CodePipelineClient({});
    const job = event['CodePipeline.job'];
    const jobId = job.id;
    console.log(JSON.stringify({ step: step.name, jobId, resumed: Boolean(job.data.continuationToken) }));

    let result: StepResult<S>;
    try {
      const params = step.parseParams(decodeUserParameters(job.data.actionConfiguration?.configuration?.UserParameters));
      const state = job.data.continuationToken ? decodeToken<S>(job.data.continuationToken) : undefined;
      result = await step.run(
        {
          jobId,
          params,
          data: job.data,
          remainingMs: () => context.getRemainingTimeInMillis(),
          sleep: deps.sleep ?? defaultSleep,
        },
        state,
      );
    } catch (err) {
      await putFailure(codepipeline, jobId, err);
      return;
    }
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
    throw new StepFailure(`continuation token is corrupted (not base64url JSON): ${token.slice(0, 80)}`, 'JobFailed');
  }
  if (envelope?.v !== TOKEN_VERSION) {
    throw new StepFailure(
      `continuation token has version ${JSON.stringify(envelope?.v)}, this handler reads version ${TOKEN_VERSION}: retry the stage`,
      'JobFailed',
    );
  }
  return envelope.s as S;
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
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const message = `${name}: ${e?.message ?? String(err)}`;
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(name) || e?.$metadata?.httpStatusCode === 403) {
    return { message: `${message} (the step's role lacks a permission: check its IAM policy)`, type: 'PermissionError' };
  }
  return { message, type: 'JobFailed' };
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
