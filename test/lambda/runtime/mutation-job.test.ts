/**
 * The job runtime (job.ts) at its edges, on the fake AWS with the real SDK clients: what a person
 * reads (failure types, messages, log lines), what the exactly-once record keeps, and the limits
 * (token, stored state, summary, retries). Mutation testing showed these behaviours unpinned.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  call,
  decodeToken,
  defineStep,
  describeError,
  encodeToken,
  environmentPipelines,
  INLINE_TOKEN_LIMIT,
  isTransient,
  MAX_STORED_STATE,
  MAX_TOKEN_LENGTH,
  StepFailure,
  tokenPointer,
  truncate,
  type RuntimeDeps,
  type StepContext,
  type StepDefinition,
  type StepResult,
} from '../../../lambda/runtime/job';
import { FUNCTION_ARN, STEP_TABLE, type FakeAws } from '../../fakes/aws';
import { jobEvent } from '../../fakes/job';
import { useFakeAws } from '../../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));
beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));

/** The JSON log lines written to one console stream. */
const lines = (stream: 'log' | 'warn' | 'error') => (console[stream] as jest.Mock).mock.calls.map((c) => JSON.parse(String(c[0])));
/** Deps on the fake whose SDK clients do not retry (the runtime's own retries are under test; no real-time SDK backoff). */
const deps = (extra: Partial<RuntimeDeps> = {}): RuntimeDeps => ({ ...aws.deps(), clientConfig: { ...aws.deps().clientConfig, maxAttempts: 1 }, ...extra });
type S = { i: number } | string | undefined;
const step = (run: StepDefinition<unknown, S>['run'], extra: Partial<RuntimeDeps> = {}, parseParams: (raw: unknown) => unknown = (p) => p) =>
  defineStep<unknown, S>({ name: 'demo', parseParams, run }, deps(extra));
const done = (summary = 'ok'): (() => Promise<StepResult<S>>) => async () => ({ status: 'done', summary });
/** The report CodePipeline took for a job. */
const reportOf = (jobId: string) => aws.codepipeline.reports.find((r) => r.jobId === jobId);
/** What the jobs' exactly-once records keep (Powertools' `data` attribute; keys are hashes), oldest first. */
const outcomes = () =>
  aws.dynamodb.records(STEP_TABLE).filter((r) => String(r.id).startsWith('job#')).map((r) => r.data);

describe('what the exactly-once record keeps: the outcome, and whether CodePipeline took the report', () => {
  test('done, continue and failed, each reported', async () => {
    await step(done())(aws.event({ id: 'job-done', params: {} }), aws.context());
    await step(async () => ({ status: 'continue', state: { i: 1 }, summary: 'going' }))(aws.event({ id: 'job-cont', params: {} }), aws.context());
    await step(async () => { throw new StepFailure('boom'); })(aws.event({ id: 'job-fail', params: {} }), aws.context());
    expect(outcomes()).toEqual([
      { status: 'done', reported: true },
      { status: 'continue', reported: true },
      { status: 'failed', reported: true },
    ]);
    expect(lines('log')).toContainEqual({ level: 'INFO', jobId: 'job-cont', status: 'continue', summary: 'going' });
    expect(lines('error')).toEqual([{ level: 'ERROR', jobId: 'job-fail', failureType: 'JobFailed', message: 'boom' }]);
  });

  test('a job another delivery already reported (InvalidJobStateException): not reported, logged as finished, no error', async () => {
    aws.event({ id: 'job-twice', params: {} });
    aws.codepipeline.reports.push({ jobId: 'job-twice', kind: 'success', body: {} });
    await step(done())(jobEvent({ id: 'job-twice', params: {} }), aws.context());
    expect(outcomes()).toEqual([{ status: 'done', reported: false }]);
    expect(lines('log')).toContainEqual({ level: 'INFO', jobId: 'job-twice', note: 'job already finished (InvalidJobStateException); nothing to report' });
    expect(lines('error')).toEqual([]);
  });

  test('a report refused for good: not reported, an ERROR that says the action will time out', async () => {
    aws.fail('CodePipeline.PutJobFailureResult', 'InvalidParameterException', 'bad', 1, 400);
    await step(async () => { throw new StepFailure('boom', 'ConfigurationError'); })(aws.event({ id: 'job-lost', params: {} }), aws.context());
    expect(outcomes()).toEqual([{ status: 'failed', reported: false }]);
    expect(aws.calls('CodePipeline.PutJobFailureResult')).toEqual([{ jobId: 'job-lost', failureDetails: { type: 'ConfigurationError', message: 'boom' } }]);
    expect(lines('error').at(-1)).toEqual({
      level: 'ERROR',
      jobId: 'job-lost',
      error: 'CodePipeline PutJobFailureResult failed: InvalidParameterException: bad',
      note: 'the result was not reported: the action fails on its timeout; retry the stage',
    });
    expect(lines('log').filter((l) => /already finished/.test(l.note ?? ''))).toEqual([]);
  });

  test('JobNotFoundException on the report: its own note, not "already finished"', async () => {
    aws.fail('CodePipeline.PutJobSuccessResult', 'JobNotFoundException', 'gone', 1, 400);
    await step(done())(aws.event({ id: 'job-gone', params: {} }), aws.context());
    expect(outcomes()).toEqual([{ status: 'done', reported: false }]);
    expect(lines('error').at(-1)).toEqual({
      level: 'ERROR',
      jobId: 'job-gone',
      error: 'CodePipeline PutJobSuccessResult failed: JobNotFoundException: gone',
      note: 'CodePipeline no longer knows a job it issued to this invocation',
    });
  });

  test('a later duplicate of a finished job does nothing and logs the kept outcome', async () => {
    const run = jest.fn(done());
    const event = aws.event({ id: 'job-dup', params: {} });
    await step(run)(event, aws.context());
    await step(run)(event, aws.context());
    expect(run).toHaveBeenCalledTimes(1);
    expect(aws.codepipeline.reports).toHaveLength(1);
    expect(lines('log')).toContainEqual({ level: 'INFO', step: 'demo', jobId: 'job-dup', duplicate: 'this job was already handled', outcome: { status: 'done', reported: true } });
    expect(lines('log').filter((l) => l.duplicate)).toHaveLength(1);
  });

  test('two deliveries in flight at once: the loser logs that it lost the race and reports nothing', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const run = jest.fn(async () => (await gate, { status: 'done' as const, summary: 'ok' }));
    const event = aws.event({ id: 'job-race', params: {} });
    const both = Promise.all([step(run)(event, aws.context()), step(run)(event, aws.context())]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await both;
    expect(run).toHaveBeenCalledTimes(1);
    expect(aws.codepipeline.reports).toHaveLength(1);
    expect(lines('log').filter((l) => l.duplicate)).toEqual([
      { level: 'INFO', step: 'demo', jobId: 'job-race', duplicate: 'lost the race: another delivery of this job is in progress; nothing done, nothing reported' },
    ]);
  });

  test('the record cannot be taken: nothing done; the failure names the table, the cause and its type', async () => {
    const run = jest.fn(done());
    aws.fail('DynamoDB.PutItem', 'ValidationException', 'item too odd', 1, 400);
    await step(run)(aws.event({ id: 'job-nodb', params: {} }), aws.context());
    expect(run).not.toHaveBeenCalled();
    expect(reportOf('job-nodb')?.body.failureDetails).toEqual({
      type: 'JobFailed',
      message: "demo: could not take the job's exactly-once record in DynamoDB table production-steps: ValidationException: item too odd: nothing was done; retry the stage",
    });
  });

  test('the record cannot be completed after the step ran: the report stands, an ERROR says so, nothing more is reported', async () => {
    aws.fail('DynamoDB.UpdateItem', 'InternalServerError', 'down', 1, 500);
    await step(done('all good'))(aws.event({ id: 'job-after', params: {} }), aws.context());
    expect(aws.codepipeline.reports).toEqual([expect.objectContaining({ jobId: 'job-after', kind: 'success' })]);
    expect(aws.calls('CodePipeline.PutJobFailureResult')).toEqual([]);
    expect(lines('error')).toEqual([{ level: 'ERROR', step: 'demo', jobId: 'job-after', error: expect.stringMatching(/^after the step ran: InternalServerError: down/) }]);
  });
});

describe('reporting retries', () => {
  const throttle = (times: number) => aws.fail('CodePipeline.PutJobSuccessResult', 'ThrottlingException', 'Rate exceeded', times, 400);

  test('backoff 1, 2, 4, 8, 8 s on the Lambda clock, six attempts, each retry logged', async () => {
    throttle(5);
    const t0 = aws.clock.now;
    await step(done())(aws.event({ id: 'job-slow', params: {} }), aws.context());
    expect(aws.calls('CodePipeline.PutJobSuccessResult')).toHaveLength(6);
    expect(aws.clock.now - t0).toBe(1000 + 2000 + 4000 + 8000 + 8000);
    expect(reportOf('job-slow')?.kind).toBe('success');
    expect(lines('warn').map((l) => [l.attempt, l.retrying, l.error])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [n, 'CodePipeline PutJobSuccessResult job-slow', 'ThrottlingException: Rate exceeded (still throttled after 1 attempts: retry the stage)']),
    );
  });

  test('a retry needs its delay plus a 2 s reserve of the invocation: exactly enough retries, less does not', async () => {
    throttle(1);
    // 3 s left: the job is handed back at once (less than minStartMs), and 1 s + 2 s reserve still fit.
    await step(done())(aws.event({ id: 'job-edge', params: {} }), aws.context(3000));
    expect(aws.calls('CodePipeline.PutJobSuccessResult')).toHaveLength(2);
    expect(reportOf('job-edge')?.body.executionDetails.summary).toBe('demo: too little time left in this invocation; resuming');
    throttle(1);
    await step(done())(aws.event({ id: 'job-short', params: {} }), aws.context(2999));
    expect(aws.calls('CodePipeline.PutJobSuccessResult')).toHaveLength(3);
    expect(reportOf('job-short')).toBeUndefined();
  });

  test('GetJobDetails: a transient error is retried; a lasting one refuses the job, saying why, with nothing done', async () => {
    aws.fail('CodePipeline.GetJobDetails', 'ServiceUnavailableException', 'busy', 1, 503);
    await step(done())(aws.event({ id: 'job-flaky', params: {} }), aws.context());
    expect(aws.calls('CodePipeline.GetJobDetails')).toHaveLength(2);
    expect(reportOf('job-flaky')?.kind).toBe('success');

    aws.requests.length = 0;
    aws.fail('CodePipeline.GetJobDetails', 'AccessDeniedException', 'no codepipeline:GetJobDetails', 1, 400);
    await step(done())(aws.event({ id: 'job-denied', params: {} }), aws.context());
    expect(aws.requests.map((r) => r.op)).toEqual(['CodePipeline.GetJobDetails']);
    expect(lines('error')).toEqual([
      {
        level: 'ERROR',
        step: 'demo',
        jobId: 'job-denied',
        refused: 'job could not be corroborated',
        error: "AccessDeniedException: no codepipeline:GetJobDetails (the step's role lacks a permission: check its IAM policy)",
      },
    ]);
  });

  test('GetJobDetails: JobNotFoundException and ValidationException mean an unknown job: refused, logged as a warning', async () => {
    aws.fail('CodePipeline.GetJobDetails', 'ValidationException', 'not a job id', 1, 400);
    await step(done())(aws.event({ id: 'job-invalid', params: {} }), aws.context());
    await step(done())(jobEvent({ id: 'job-never-issued', params: {} }), aws.context());
    expect(aws.codepipeline.reports).toEqual([]);
    expect(lines('warn').map((l) => [l.jobId, l.refused, l.note])).toEqual([
      ['job-invalid', 'unknown job', 'nothing done, nothing reported'],
      ['job-never-issued', 'unknown job', 'nothing done, nothing reported'],
    ]);
  });
});

describe('the invocation', () => {
  test('the first log line: the step, the job id (at most 100 characters of an untrusted event) and whether it resumes', async () => {
    const long = `j${'x'.repeat(150)}`;
    await step(done())(jobEvent({ id: long, params: {} }), aws.context());
    await step(done())(aws.event({ id: 'job-resumed', params: {}, continuationToken: encodeToken({ i: 1 }) }), aws.context());
    expect(lines('log').filter((l) => 'resumed' in l)).toEqual([
      { level: 'INFO', step: 'demo', jobId: long.slice(0, 100), resumed: false },
      { level: 'INFO', step: 'demo', jobId: 'job-resumed', resumed: true },
    ]);
  });

  test('the step context: the job, params, the clock, remaining time, cached clients on the fake', async () => {
    let seen: Record<string, unknown> = {};
    const t0 = aws.clock.now;
    await step(async (ctx: StepContext<unknown>) => {
      const before = ctx.remainingMs();
      await ctx.sleep(5000);
      seen = {
        jobId: ctx.jobId,
        params: ctx.params,
        slept: aws.clock.now - t0,
        now: ctx.now(),
        used: before - ctx.remainingMs(),
        sameClient: ctx.client(ECSClient) === ctx.client(ECSClient),
        endpoint: ctx.clientConfig.endpoint,
      };
      return { status: 'done', summary: 'ok' };
    })(aws.event({ id: 'job-ctx', params: { a: 1 } }), aws.context());
    expect(seen).toEqual({ jobId: 'job-ctx', params: { a: 1 }, slept: 5000, now: t0 + 5000, used: 5000, sameClient: true, endpoint: aws.url });
  });

  test('a client for another configuration is a new one', async () => {
    const clients: unknown[] = [];
    const grab = async (ctx: StepContext<unknown>) => (clients.push(ctx.client(ECSClient)), { status: 'done' as const, summary: 'ok' });
    await step(grab)(aws.event({ id: 'job-c1', params: {} }), aws.context());
    await step(grab)(aws.event({ id: 'job-c2', params: {} }), aws.context());
    expect(clients[0]).not.toBe(clients[1]);
  });

  test('UserParameters: empty means {}; not JSON is a ConfigurationError quoting the parser', async () => {
    const parsed: unknown[] = [];
    await step(done(), {}, (raw) => parsed.push(raw))(aws.event({ id: 'job-empty', params: '' }), aws.context());
    expect(parsed).toEqual([{}]);
    await step(done())(aws.event({ id: 'job-notjson', params: '{nope' }), aws.context());
    expect(reportOf('job-notjson')?.body.failureDetails).toEqual({ type: 'ConfigurationError', message: expect.stringMatching(/^UserParameters is not valid JSON \(.*JSON.*\)$/) });
  });

  test('minStartMs: at exactly the limit the step runs; under it the job goes back with its state', async () => {
    const run = jest.fn(done());
    await step(run)(aws.event({ id: 'job-10s', params: {} }), aws.context(10_000));
    expect(run).toHaveBeenCalledTimes(1);
    await step(run)(aws.event({ id: 'job-9s', params: {}, continuationToken: encodeToken({ i: 4 }) }), aws.context(9_999));
    expect(run).toHaveBeenCalledTimes(1);
    expect(decodeToken(reportOf('job-9s')!.body.continuationToken)).toEqual({ i: 4 });
    await step(run, { minStartMs: 20_000 })(aws.event({ id: 'job-custom', params: {} }), aws.context(15_000));
    expect(run).toHaveBeenCalledTimes(1);
    expect(reportOf('job-custom')?.body.executionDetails).toEqual({ summary: 'demo: too little time left in this invocation; resuming' });
  });
});

describe('runtime configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('STEP_PIPELINES: comma-separated, trimmed, blanks dropped; none without it', () => {
    process.env.STEP_PIPELINES = ' production-deploy, ,production-destructive ,';
    expect(environmentPipelines()).toEqual(['production-deploy', 'production-destructive']);
    delete process.env.STEP_PIPELINES;
    expect(environmentPipelines()).toEqual([]);
  });

  test('pipelines and table from the environment; the function name from the invoked ARN', async () => {
    process.env.STEP_PIPELINES = 'production-deploy';
    process.env.STEP_TABLE = STEP_TABLE;
    const { pipelines: _p, table: _t, functionArn: _f, ...rest } = deps();
    const handler = defineStep({ name: 'demo', parseParams: (p) => p, run: done() }, rest);
    await handler(aws.event({ id: 'job-env', params: {} }), { getRemainingTimeInMillis: () => 300_000, invokedFunctionArn: FUNCTION_ARN });
    expect(reportOf('job-env')?.kind).toBe('success');
  });

  test('what is missing is named, all at once', async () => {
    const { pipelines: _p, table: _t, functionArn: _f, ...rest } = deps();
    delete process.env.STEP_PIPELINES;
    delete process.env.STEP_TABLE;
    await defineStep({ name: 'demo', parseParams: (p) => p, run: done() }, rest)(aws.event({ id: 'job-bare', params: {} }), { getRemainingTimeInMillis: () => 1 });
    await defineStep({ name: 'demo', parseParams: (p) => p, run: done() }, { ...rest, functionArn: 'step' })(aws.event({ id: 'job-named', params: {} }), { getRemainingTimeInMillis: () => 1, functionName: 'step' });
    expect(lines('error').map((l) => [l.refused, l.missing])).toEqual([
      ['runtime not configured', ['the function name (Lambda context)', 'the account (invokedFunctionArn)', 'STEP_PIPELINES', 'STEP_TABLE']],
      ['runtime not configured', ['the account (invokedFunctionArn)', 'STEP_PIPELINES', 'STEP_TABLE']],
    ]);
    expect(aws.requests).toEqual([]);
  });
});

describe('continuation tokens and states', () => {
  const tokenOf = (jobId: string) => reportOf(jobId)!.body.continuationToken as string;
  const hold = (state: S, extra: { summary?: string; percentComplete?: number } = {}) => step(async () => ({ status: 'continue', state, summary: 's', ...extra }));

  test('inline up to INLINE_TOKEN_LIMIT characters, stored in the step table beyond', async () => {
    // {"v":1,"s":"<k>"} is 14 + k bytes; base64url makes 768 bytes exactly 1024 characters.
    await hold('a'.repeat(754))(aws.event({ id: 'job-inline', params: {} }), aws.context());
    await hold('a'.repeat(755))(aws.event({ id: 'job-stored', params: {} }), aws.context());
    expect(tokenOf('job-inline')).toHaveLength(INLINE_TOKEN_LIMIT);
    expect(tokenPointer(tokenOf('job-inline'))).toBeUndefined();
    expect(decodeToken(tokenOf('job-inline'))).toBe('a'.repeat(754));
    expect(tokenPointer(tokenOf('job-stored'))).toBe('job-stored');
    expect(aws.tokenState(tokenOf('job-stored'), 'job-stored')).toBe('a'.repeat(755));
  });

  test('a stored state up to MAX_STORED_STATE characters of JSON; one more fails the job saying so', async () => {
    await hold('b'.repeat(MAX_STORED_STATE - 2))(aws.event({ id: 'job-max', params: {} }), aws.context());
    expect(tokenPointer(tokenOf('job-max'))).toBe('job-max');
    await hold('b'.repeat(MAX_STORED_STATE - 1))(aws.event({ id: 'job-over', params: {} }), aws.context());
    expect(reportOf('job-over')?.body.failureDetails).toEqual({
      type: 'JobFailed',
      message: `continuation state is ${MAX_STORED_STATE + 1} characters, more than the step table holds (${MAX_STORED_STATE})`,
    });
  });

  test('the continuation summary is cut at 2048 characters; the percentage rounded into 0..100, absent when not given', async () => {
    await hold({ i: 1 }, { summary: 'x'.repeat(2048), percentComplete: -3 })(aws.event({ id: 'job-p1', params: {} }), aws.context());
    await hold({ i: 1 }, { summary: 'y'.repeat(2049), percentComplete: 140 })(aws.event({ id: 'job-p2', params: {} }), aws.context());
    await hold({ i: 1 }, { percentComplete: 49.5 })(aws.event({ id: 'job-p3', params: {} }), aws.context());
    await hold({ i: 1 })(aws.event({ id: 'job-p4', params: {} }), aws.context());
    const details = ['job-p1', 'job-p2', 'job-p3', 'job-p4'].map((id) => reportOf(id)!.body.executionDetails);
    expect(details[0]).toEqual({ summary: 'x'.repeat(2048), percentComplete: 0 });
    expect(details[1]).toEqual({ summary: `${'y'.repeat(2048 - 15)} …(truncated)`, percentComplete: 100 });
    expect(details[2]).toEqual({ summary: 's', percentComplete: 50 });
    expect(details[3]).toEqual({ summary: 's' });
  });

  test('done: 100 %, the summary cut at 2048, the output variables passed on', async () => {
    await step(async () => ({ status: 'done', summary: 'z'.repeat(3000), outputVariables: { version: 'abc' } }))(aws.event({ id: 'job-out', params: {} }), aws.context());
    expect(reportOf('job-out')?.body).toEqual({
      jobId: 'job-out',
      executionDetails: { summary: `${'z'.repeat(2033)} …(truncated)`, percentComplete: 100 },
      outputVariables: { version: 'abc' },
    });
    expect(truncate('abc', 3)).toBe('abc');
  });

  test('encodeToken: up to 2048 characters; beyond, a failure naming both lengths', () => {
    // {"v":1,"s":"<k>"}: 1536 bytes are 2048 characters.
    expect(encodeToken('c'.repeat(1522))).toHaveLength(MAX_TOKEN_LENGTH);
    expect(() => encodeToken('c'.repeat(1523))).toThrow(new StepFailure(`continuation state is 2050 characters, more than CodePipeline's ${MAX_TOKEN_LENGTH}`));
  });

  test('token envelopes: null, no state, a non-string ref, a pointer read outside the runtime, a long corrupted token', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    expect(() => decodeToken(b64('null'))).toThrow('continuation token has version undefined, this handler reads version 1: retry the stage');
    expect(() => decodeToken(b64('{"v":"1"}'))).toThrow('continuation token has version "1", this handler reads version 1: retry the stage');
    expect(decodeToken(b64('{"v":1}'))).toBeUndefined();
    expect(decodeToken(b64('{"v":1,"s":null}'))).toBeUndefined();
    expect(decodeToken(b64('{"v":1,"s":0}'))).toBe(0);
    expect(tokenPointer(b64('{"v":1,"ref":5,"s":2}'))).toBeUndefined();
    expect(() => decodeToken(b64('{"v":1,"ref":"job-a"}'))).toThrow(new StepFailure('continuation token points to the state stored by job job-a: only the runtime reads it'));
    const corrupted = `%${'q'.repeat(200)}`;
    let message = '';
    try {
      decodeToken(corrupted);
    } catch (err) {
      message = (err as StepFailure).message;
      expect((err as StepFailure).failureType).toBe('JobFailed');
    }
    expect(message).toBe(`continuation token is corrupted (not base64url JSON): ${corrupted.slice(0, 80)}: retry the stage`);
  });
});

describe('describeError and isTransient: every name they know', () => {
  const named = (name: string, status?: number, extra: object = {}) => Object.assign(new Error('m'), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}), ...extra });

  test.each(['AccessDeniedException', 'accessdenied', 'UnauthorizedOperation', 'NotAuthorizedException'])('%s is a PermissionError', (name) => {
    expect(describeError(named(name, 400))).toEqual({ type: 'PermissionError', message: `${name}: m (the step's role lacks a permission: check its IAM policy)` });
  });

  test.each(['ThrottlingException', 'throttled', 'TooManyRequestsException', 'RequestLimitExceeded'])('%s says it was throttled and to retry', (name) => {
    expect(describeError(named(name, 400))).toEqual({ type: 'JobFailed', message: `${name}: m (still throttled after several attempts: retry the stage)` });
  });

  test('neither a name nor a message', () => {
    expect(describeError(undefined)).toEqual({ type: 'JobFailed', message: 'Error: undefined' });
    expect(describeError({ name: 'Odd' })).toEqual({ type: 'JobFailed', message: 'Odd: [object Object]' });
    expect(describeError(new StepFailure('as diagnosed', 'ConfigurationError'))).toEqual({ type: 'ConfigurationError', message: 'as diagnosed' });
  });

  test.each(['TooManyRequestsException', 'RequestLimitExceeded', 'TimeoutError', 'ServiceUnavailable', 'InternalFailure', 'InternalError', 'throttling'])('%s is transient whatever its status', (name) => {
    expect(isTransient(named(name, 400))).toBe(true);
  });

  test('by status: 5xx and 429 are transient, other 4xx are not', () => {
    expect([500, 503, 499, 429, 428, 400].map((s) => isTransient(named('E', s)))).toEqual([true, true, false, true, false, false]);
  });

  test('without an HTTP answer: network errors by code, name or message', () => {
    const network = [
      Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('x'), { code: 'EPIPE' }),
      Object.assign(new Error('x'), { code: 'ENOTFOUND' }),
      Object.assign(new Error('x'), { code: 'EAI_AGAIN' }),
      new Error('socket hang up'),
      named('NetworkingError'),
    ];
    expect(network.map(isTransient)).toEqual([true, true, true, true, true, true]);
    expect([new Error('bad input'), undefined, named('E')].map(isTransient)).toEqual([false, false, false]);
  });

  test('call: a StepFailure passes through as it is; any other error says what was being done', async () => {
    const own = new StepFailure('already clear', 'ConfigurationError');
    await expect(call('ECS RunTask', Promise.reject(own))).rejects.toBe(own);
    await expect(call('ECS RunTask', Promise.reject(named('ClusterNotFoundException', 400)))).rejects.toEqual(
      new StepFailure("ECS RunTask failed: ClusterNotFoundException: m (the pipeline names something that does not exist: check the stack's configuration)", 'ConfigurationError'),
    );
    await expect(call('x', Promise.resolve(7))).resolves.toBe(7);
  });
});

describe('untrusted events and the bounds of the first calls', () => {
  const long = `j${'y'.repeat(150)}`;

  test('an event that is no job event at all: nothing thrown, refused as unknown, the id logged as empty', async () => {
    for (const event of [undefined, {}, { 'CodePipeline.job': { id: 'job-nodata' } }]) {
      await expect(step(done())(event as never, aws.context())).resolves.toBeUndefined();
    }
    expect(lines('log').filter((l) => 'resumed' in l).map((l) => [l.jobId, l.resumed])).toEqual([
      ['', false],
      ['', false],
      ['job-nodata', false],
    ]);
    expect(lines('warn').map((l) => l.refused)).toEqual(['unknown job', 'unknown job', 'unknown job']);
    expect(aws.codepipeline.reports).toEqual([]);
  });

  test('a long untrusted id is cut to 100 characters in every line before the job is corroborated', async () => {
    const { pipelines: _p, ...unconfigured } = deps();
    await defineStep({ name: 'demo', parseParams: (p) => p, run: done() }, { ...unconfigured, pipelines: [] })(jobEvent({ id: long, params: {} }), aws.context());
    await step(done())(jobEvent({ id: long, params: {} }), aws.context());
    aws.fail('CodePipeline.GetJobDetails', 'ThrottlingException', 'slow', 1, 400);
    aws.fail('CodePipeline.GetJobDetails', 'AccessDeniedException', 'no', 1, 400);
    await step(done())(jobEvent({ id: long, params: {} }), aws.context());
    const cut = long.slice(0, 100);
    expect(lines('error').map((l) => [l.refused, l.jobId])).toEqual([
      ['runtime not configured', cut],
      ['job could not be corroborated', cut],
    ]);
    expect(lines('warn').map((l) => l.refused ?? l.retrying)).toEqual(['unknown job', `CodePipeline GetJobDetails ${cut}`]);
    expect(lines('warn')[0].jobId).toBe(cut);
  });

  test('GetJobDetails is retried only while the invocation has time for it', async () => {
    aws.fail('CodePipeline.GetJobDetails', 'ThrottlingException', 'slow', 1, 400);
    await step(done())(aws.event({ id: 'job-hurry', params: {} }), aws.context(2999));
    expect(aws.calls('CodePipeline.GetJobDetails')).toHaveLength(1);
    expect(lines('error').map((l) => l.refused)).toEqual(['job could not be corroborated']);
  });

  test('without a sleep of its own the runtime waits for real', async () => {
    let waited = 0;
    await step(async (ctx) => {
      const t = Date.now();
      await ctx.sleep(30);
      waited = Date.now() - t;
      return { status: 'done', summary: 'ok' };
    }, { sleep: undefined })(aws.event({ id: 'job-sleep', params: {} }), aws.context());
    expect(waited).toBeGreaterThanOrEqual(25);
  });

  test('StepFailure is named so in logs and stacks; throttling without metadata says "several"', () => {
    expect(new StepFailure('x').name).toBe('StepFailure');
    expect(describeError(Object.assign(new Error('m'), { name: 'ThrottlingException' }))).toEqual({
      type: 'JobFailed',
      message: 'ThrottlingException: m (still throttled after several attempts: retry the stage)',
    });
  });
});
