import {
  CodePipelineClient,
  InvalidJobStateException,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { call, decodeToken, defineStep, encodeToken, MAX_FAILURE_MESSAGE, StepFailure, type StepDefinition } from '../../../lambda/runtime/job';
import { parseParams } from '../../../lambda/runtime/params';
import { jobEvent, SECRET_ACCESS_KEY } from '../../fakes/job';

const cp = mockClient(CodePipelineClient);
const lambdaContext = (ms = 300_000) => ({ getRemainingTimeInMillis: () => ms });

type P = { n: number };
function step(run: StepDefinition<P, { i: number }>['run']) {
  return defineStep<P, { i: number }>(
    { name: 'demo', parseParams: (raw) => parseParams<P>('demo', raw, { n: 'number' }), run },
    { codepipeline: cp as unknown as CodePipelineClient },
  );
}
const failure = () => cp.commandCalls(PutJobFailureResultCommand).map((c) => c.args[0].input.failureDetails);
const successes = () => cp.commandCalls(PutJobSuccessResultCommand).map((c) => c.args[0].input);

beforeEach(() => cp.reset());

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
  expect(failure()).toEqual([{ type: 'ConfigurationError', message: 'demo: invalid UserParameters: n must be a non-empty number, got "x"' }]);
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

test('a state too large for a token fails the job instead of being cut', async () => {
  await step(async () => ({ status: 'continue', state: { i: 1, pad: 'p'.repeat(3000) } as never, summary: 's' }))(jobEvent({ params: { n: 1 } }), lambdaContext());
  expect(successes()).toEqual([]);
  expect(failure()[0]!.message).toMatch(/continuation state is \d+ characters, more than CodePipeline's 2048/);
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
