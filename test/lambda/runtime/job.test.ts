import {
  CodePipelineClient,
  InvalidJobStateException,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { call, decodeToken, defineStep, describeError, encodeToken, isTransient, MAX_FAILURE_MESSAGE, MAX_STORED_STATE, StepFailure, type StepDefinition } from '../../../lambda/runtime/job';
import * as z from 'zod';
import { parseParams } from '../../../lambda/runtime/params';
import { SECRET_ACCESS_KEY, type JobOptions } from '../../fakes/job';
import { mockedRuntime } from '../../fakes/mock-runtime';

const cp = mockClient(CodePipelineClient);
const runtime = mockedRuntime(cp);
const jobEvent = (o: JobOptions) => runtime.event(o);
const lambdaContext = (ms = 300_000) => ({ getRemainingTimeInMillis: () => ms });
const sleeps: number[] = [];

type P = { n: number };
function step(run: StepDefinition<P, { i: number }>['run']) {
  return defineStep<P, { i: number }>(
    { name: 'demo', parseParams: (raw) => parseParams('demo', raw, z.strictObject({ n: z.number() })), run },
    { ...runtime.deps, sleep: async (ms) => void sleeps.push(ms) },
  );
}
const failure = () => cp.commandCalls(PutJobFailureResultCommand).map((c) => c.args[0].input.failureDetails);
const successes = () => cp.commandCalls(PutJobSuccessResultCommand).map((c) => c.args[0].input);

beforeEach(() => {
  cp.reset();
  sleeps.length = 0;
});

test('a continuation carries the state; the next invocation resumes from it', async () => {
  const h = step(async (_ctx, state) =>
    (state?.i ?? 0) < 2 ? { status: 'continue', state: { i: (state?.i ?? 0) + 1 }, summary: 'going', percentComplete: 49.6 } : { status: 'done', summary: 'finished' },
  );
  await h(jobEvent({ params: { n: 1 } }), lambdaContext());
  const first = successes()[0];
  expect(first.executionDetails).toEqual({ summary: 'going', percentComplete: 50 });
  expect(decodeToken(first.continuationToken!)).toEqual({ i: 1 });
  await h(jobEvent({ params: { n: 1 }, continuationToken: encodeToken({ i: 2 }) }), lambdaContext());
  expect(successes()[1]).toEqual({ jobId: expect.any(String), executionDetails: { summary: 'finished', percentComplete: 100 } });
});

test('a corrupted or unknown-version token fails the job and says to retry', async () => {
  const run = jest.fn();
  const h = step(run);
  await h(jobEvent({ params: { n: 1 }, continuationToken: '%%%not-a-token' }), lambdaContext());
  await h(jobEvent({ params: { n: 1 }, continuationToken: Buffer.from('{"v":99,"s":{}}').toString('base64url') }), lambdaContext());
  expect(run).not.toHaveBeenCalled();
  expect(failure()).toEqual([
    { type: 'JobFailed', message: expect.stringMatching(/continuation token is corrupted.*retry the stage/) },
    { type: 'JobFailed', message: expect.stringMatching(/version 99, this handler reads version 1/) },
  ]);
});

test('invalid UserParameters are a ConfigurationError naming every field', async () => {
  await step(jest.fn())(jobEvent({ params: { n: 'x' } }), lambdaContext());
  expect(failure()).toEqual([{ type: 'ConfigurationError', message: 'demo: invalid UserParameters: n: expected number, got string (the pipeline stack writes them: redeploy it, or undo a hand edit of the action)' }]);
});

test('with too little time left the job is handed back untouched, state unchanged', async () => {
  const run = jest.fn();
  await step(run)(jobEvent({ params: { n: 1 }, continuationToken: encodeToken({ i: 7 }) }), lambdaContext(4000));
  await step(run)(jobEvent({ params: { n: 1 } }), lambdaContext(4000));
  expect(run).not.toHaveBeenCalled();
  const [resumed, fresh] = successes();
  expect(decodeToken(resumed.continuationToken!)).toEqual({ i: 7 });
  expect(decodeToken(fresh.continuationToken!)).toBeUndefined(); // starts afresh next time
});

test('AccessDenied is a PermissionError that says what was being done', async () => {
  const denied = Object.assign(new Error('User: arn:aws:sts::1:assumed-role/x is not authorized to perform: ecs:RunTask'), { name: 'AccessDeniedException' });
  await step(() => call('ECS RunTask of production-zed in cluster production', Promise.reject(denied)))(jobEvent({ params: { n: 1 } }), lambdaContext());
  expect(failure()).toEqual([
    {
      type: 'PermissionError',
      message: expect.stringMatching(/^ECS RunTask of production-zed in cluster production failed: AccessDeniedException: .*ecs:RunTask \(the step's role lacks a permission/),
    },
  ]);
});

test('an unexpected error becomes a failure, truncated to the limit; the handler never throws', async () => {
  await expect(step(async () => { throw new Error('x'.repeat(9000)); })(jobEvent({ params: { n: 1 } }), lambdaContext())).resolves.toBeUndefined();
  expect(failure()[0]!.message!.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE);
  expect(failure()[0]!.message!.length).toBeGreaterThan(MAX_FAILURE_MESSAGE - 20);
  expect(failure()[0]!.message).toMatch(/^Error: x+ …\(truncated\)$/);
});

test('a state too large even for the step table fails the job instead of being cut', async () => {
  await step(async () => ({ status: 'continue', state: { i: 1, pad: 'p'.repeat(MAX_STORED_STATE) } as never, summary: 's' }))(jobEvent({ params: { n: 1 } }), lambdaContext());
  expect(successes()).toEqual([]);
  expect(failure()[0]!.message).toMatch(new RegExp(`^continuation state is \\d+ characters, more than the step table holds \\(${MAX_STORED_STATE}\\)$`));
});

test('a second report on a finished job (duplicate delivery) is treated as done', async () => {
  cp.on(PutJobSuccessResultCommand).rejects(new InvalidJobStateException({ message: 'job is Succeeded', $metadata: {} }));
  await expect(step(async () => ({ status: 'done', summary: 'ok' }))(jobEvent({ params: { n: 1 } }), lambdaContext())).resolves.toBeUndefined();
  expect(successes()).toHaveLength(1);
});

test('artifact credentials never reach the logs', async () => {
  const logs: string[] = [];
  const spies = (['log', 'error', 'warn'] as const).map((m) => jest.spyOn(console, m).mockImplementation((...a) => void logs.push(a.join(' '))));
  await step(async () => { throw new StepFailure('boom'); })(jobEvent({ params: { n: 1 } }), lambdaContext());
  await step(async () => ({ status: 'done', summary: 'ok' }))(jobEvent({ params: { n: 1 } }), lambdaContext());
  spies.forEach((s) => s.mockRestore());
  expect(logs.length).toBeGreaterThanOrEqual(4);
  expect(logs.join('\n')).not.toContain(SECRET_ACCESS_KEY);
  expect(logs.join('\n')).not.toContain('session-token');
});

describe('PutJob* errors', () => {
  const logs = () => {
    const lines: { level: string; text: string }[] = [];
    const spies = (['log', 'warn', 'error'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...a) => void lines.push({ level: m, text: a.join(' ') })),
    );
    return { lines, restore: () => spies.forEach((s) => s.mockRestore()) };
  };
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400, attempts: 3 } });

  test('throttled, then taken: retried with backoff, reported once, nothing logged as an error', async () => {
    cp.on(PutJobSuccessResultCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    const out = logs();
    await step(async () => ({ status: 'done', summary: 'ok' }))(jobEvent({ params: { n: 1 } }), lambdaContext());
    out.restore();
    expect(successes()).toHaveLength(3);
    expect(sleeps).toEqual([1000, 2000]);
    expect(out.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  test('failing for good: bounded retries, then an error in the log (never taken as "already finished")', async () => {
    cp.on(PutJobFailureResultCommand).rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 } }));
    const out = logs();
    await expect(step(async () => { throw new StepFailure('boom'); })(jobEvent({ params: { n: 1 } }), lambdaContext())).resolves.toBeUndefined();
    out.restore();
    expect(failure()).toHaveLength(6);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 8000]);
    const errors = out.lines.filter((l) => l.level === 'error').map((l) => JSON.parse(l.text));
    expect(errors.at(-1)).toMatchObject({ level: 'ERROR', error: expect.stringMatching(/^CodePipeline PutJobFailureResult failed: ServiceUnavailableException: Service Unavailable/), note: expect.stringMatching(/not reported/) });
    expect(out.lines.some((l) => /already finished/.test(l.text))).toBe(false);
  });

  test('no retry when the invocation has no time left for it: one attempt, then the error is logged', async () => {
    cp.on(PutJobSuccessResultCommand).rejects(throttled());
    const out = logs();
    // 2.5 s left: the job is handed back at once, and a retry after 1 s would eat the 2 s reserve.
    await step(async () => ({ status: 'done', summary: 'ok' }))(jobEvent({ params: { n: 1 } }), lambdaContext(2500));
    out.restore();
    expect(successes()).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(out.lines.filter((l) => l.level === 'error').map((l) => l.text).join()).toMatch(/PutJobSuccessResult failed: ThrottlingException/);
  });

  test('JobNotFoundException after the job was corroborated is an error, not "already finished"', async () => {
    cp.on(PutJobSuccessResultCommand).rejects(Object.assign(new Error('job not found'), { name: 'JobNotFoundException', $metadata: { httpStatusCode: 400 } }));
    const out = logs();
    await step(async () => ({ status: 'done', summary: 'ok' }))(jobEvent({ params: { n: 1 } }), lambdaContext());
    out.restore();
    expect(successes()).toHaveLength(1);
    const error = out.lines.find((l) => l.level === 'error');
    expect(JSON.parse(error!.text)).toMatchObject({ error: expect.stringContaining('JobNotFoundException'), note: expect.stringMatching(/no longer knows a job it issued/) });
  });

  test('an access error is not retried and is logged', async () => {
    cp.on(PutJobSuccessResultCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    const out = logs();
    await step(async () => ({ status: 'done', summary: 'ok' }))(jobEvent({ params: { n: 1 } }), lambdaContext());
    out.restore();
    expect(successes()).toHaveLength(1);
    expect(out.lines.filter((l) => l.level === 'error').map((l) => l.text).join('\n')).toMatch(/PermissionError|lacks a permission/);
  });
});

describe('describeError', () => {
  const named = (name: string, message = 'm', status?: number) => Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

  test.each(['ParameterNotFound', 'ServiceNotFoundException', 'ClusterNotFoundException', 'ResourceNotFoundException'])('%s is a ConfigurationError that says to check the configuration', (name) => {
    expect(describeError(named(name, 'not here'))).toEqual({
      type: 'ConfigurationError',
      message: `${name}: not here (the pipeline names something that does not exist: check the stack's configuration)`,
    });
  });

  test('a name that only contains a configuration error name is not one', () => {
    expect(describeError(named('XParameterNotFound')).type).toBe('JobFailed');
    expect(describeError(named('ServiceNotFoundExceptionX')).type).toBe('JobFailed');
  });

  test('an unclassified error: JobFailed, its name and message, no "retry the stage" suffix', () => {
    expect(describeError(named('InvalidParameterException', 'bad subnet', 400))).toEqual({ type: 'JobFailed', message: 'InvalidParameterException: bad subnet' });
    expect(describeError('plain string')).toEqual({ type: 'JobFailed', message: 'Error: plain string' });
  });

  test('throttling says how often it was tried and to retry; a 403 is a PermissionError', () => {
    expect(describeError(Object.assign(named('ThrottlingException', 'slow down'), { $metadata: { attempts: 3 } }))).toEqual({
      type: 'JobFailed',
      message: 'ThrottlingException: slow down (still throttled after 3 attempts: retry the stage)',
    });
    expect(describeError(named('Forbidden', 'no', 403)).type).toBe('PermissionError');
  });

  test('transient: throttling, 5xx, 429, network; not 4xx', () => {
    expect(isTransient(named('ThrottlingException', 'x', 400))).toBe(true);
    expect(isTransient(named('InternalServerError', 'x', 500))).toBe(true);
    expect(isTransient(named('Whatever', 'x', 429))).toBe(true);
    expect(isTransient(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(named('ValidationException', 'x', 400))).toBe(false);
    expect(isTransient(named('AccessDeniedException', 'x', 403))).toBe(false);
  });
});
