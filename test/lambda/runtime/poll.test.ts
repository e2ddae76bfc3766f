import { StepFailure, type StepResult } from '../../../lambda/runtime/job';
import { isTransient, MIN_POLLING_TIMEOUT_MS, pollWhileTimeRemains, POLL_INTERVAL_MS, POLL_RESERVE_MS, read, READ_FAILURE_LIMIT_MS, TransientReadError, type PollState } from '../../../lambda/runtime/poll';
import { MIN_STEP_TIMEOUT } from '../../../lib/step-handler';

function clock(budgetMs: number) {
  let now = 0;
  const waits: number[] = [];
  return { waits, ctx: { now: () => now, remainingMs: () => budgetMs - now, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) } };
}

interface S extends PollState {
  readonly n: number;
}
const cont = (n: number): StepResult<S> => ({ status: 'continue', state: { n }, summary: `check ${n}` });

test('checks every 5 s and waits down to the reserve: the whole invocation is used, never a burst of checks', async () => {
  const { waits, ctx } = clock(120_000);
  let checks = 0;
  const result = await pollWhileTimeRemains<S>(ctx, { n: 0 }, async () => cont(++checks));
  expect(new Set(waits.slice(0, -1))).toEqual(new Set([POLL_INTERVAL_MS]));
  expect(120_000 - waits.reduce((a, b) => a + b, 0)).toBe(POLL_RESERVE_MS);
  expect(checks).toBe(waits.length + 1);
  expect(result).toEqual(cont(checks));
});

test('with an odd budget the last wait is shortened to the reserve, then the state goes back', async () => {
  const { waits, ctx } = clock(MIN_POLLING_TIMEOUT_MS + 2_500);
  await pollWhileTimeRemains<S>(ctx, { n: 0 }, async (s) => cont(s.n + 1));
  expect(waits[waits.length - 1]).toBe(2_500);
  expect(MIN_POLLING_TIMEOUT_MS + 2_500 - waits.reduce((a, b) => a + b, 0)).toBe(POLL_RESERVE_MS);
});

test('the construct and the poll loop agree on the shortest step timeout', () => {
  expect(MIN_STEP_TIMEOUT.toMilliseconds()).toBe(MIN_POLLING_TIMEOUT_MS);
});

test('done ends the polling at once', async () => {
  const { waits, ctx } = clock(120_000);
  let checks = 0;
  const result = await pollWhileTimeRemains<S>(ctx, { n: 0 }, async () => (++checks < 3 ? cont(checks) : { status: 'done', summary: 'ok' }));
  expect(result).toEqual({ status: 'done', summary: 'ok' });
  expect(waits).toEqual([POLL_INTERVAL_MS, POLL_INTERVAL_MS]);
});

test('a transient read error is retried at the next check; success clears it', async () => {
  const { ctx } = clock(120_000);
  const seen: S[] = [];
  let checks = 0;
  const result = await pollWhileTimeRemains<S>(ctx, { n: 0 }, async (s) => {
    seen.push(s);
    checks++;
    if (checks === 2) throw new TransientReadError('ECS DescribeServices failed: ThrottlingException');
    return checks < 4 ? cont(checks) : { status: 'done', summary: 'ok' };
  });
  expect(result.status).toBe('done');
  expect(seen).toEqual([{ n: 0 }, { n: 1 }, { n: 1, readErrorSince: 5000 }, { n: 3 }]);
});

test('a time limit reached while reads fail goes back as a continuation that remembers since when', async () => {
  const { ctx } = clock(30_000);
  const result = await pollWhileTimeRemains<S>(ctx, { n: 7, readErrorSince: -60_000 }, async () => {
    throw new TransientReadError('ECS DescribeTasks failed: ServerException');
  });
  expect(result).toMatchObject({ status: 'continue', state: { n: 7, readErrorSince: -60_000 }, summary: expect.stringMatching(/ServerException; retrying at the next check/) });
});

test('reads failing for the whole limit fail the step, saying so', async () => {
  const { ctx } = clock(120_000);
  const failing = pollWhileTimeRemains<S>(ctx, { n: 1, readErrorSince: -READ_FAILURE_LIMIT_MS + 10_000 }, async () => {
    throw new TransientReadError('ECS DescribeServices failed: ThrottlingException: Rate exceeded');
  });
  await expect(failing).rejects.toThrow(/^reads kept failing for 300 s \(the limit is 300 s\); the last: ECS DescribeServices failed: ThrottlingException: Rate exceeded\. Nothing was changed/);
});

test('any other error ends the polling at once', async () => {
  const { waits, ctx } = clock(120_000);
  await expect(pollWhileTimeRemains<S>(ctx, { n: 0 }, async () => Promise.reject(new StepFailure('rollout FAILED')))).rejects.toThrow('rollout FAILED');
  expect(waits).toEqual([]);
});

test('transient: throttling, 5xx, network and timeouts; not a client error', async () => {
  const err = (name: string, status = 400, extra = {}) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });
  for (const e of [err('ThrottlingException'), err('TooManyRequestsException'), err('ServerException', 500), err('Whatever', 503), err('TimeoutError', 0), err('Error', 0, { code: 'ECONNRESET' })]) {
    expect(isTransient(e)).toBe(true);
  }
  for (const e of [err('ClientException'), err('AccessDeniedException', 403), err('InvalidParameterException')]) expect(isTransient(e)).toBe(false);
  await expect(read('ECS DescribeTasks x', Promise.reject(err('ThrottlingException')))).rejects.toBeInstanceOf(TransientReadError);
  const denied = read('ECS DescribeTasks x', Promise.reject(err('AccessDeniedException', 403)));
  await expect(denied).rejects.toMatchObject({ name: 'StepFailure', failureType: 'PermissionError', message: expect.stringMatching(/^ECS DescribeTasks x failed: AccessDeniedException/) });
});
