/**
 * Forged jobs, for every step handler: an event CodePipeline did not issue, or issued for
 * another pipeline, another function, or with other parameters or artifacts than the event
 * claims, does nothing at all (no call but GetJobDetails, no broker or page request) and reports
 * nothing; the refusal is logged.
 */
import type { FakeAws } from '../fakes/aws';
import { jobEvent, type JobOptions } from '../fakes/job';
import { ARTIFACTS, useFakeAws } from '../fakes/shop';
import { cleanUp, nonZero, STEP_CASES } from './step-cases';

let aws: FakeAws;
useFakeAws((started) => (aws = started));
afterEach(cleanUp);

const refusals = () =>
  [...(console.log as jest.Mock).mock.calls, ...(jest.isMockFunction(console.warn) ? (console.warn as jest.Mock).mock.calls : [])]
    .map((c) => String(c[0]))
    .filter((l) => l.includes('"refused"'))
    .map((l) => JSON.parse(l).refused as string);

type Forgery = [string, (job: JobOptions) => ReturnType<FakeAws['event']>, RegExp];
const FORGERIES: Forgery[] = [
  ['a made-up job id', (job) => jobEvent(job), /^unknown job$/],
  ['a job of a foreign pipeline', (job) => aws.event({ ...job, pipeline: 'staging-deploy' }), /^job of pipeline staging-deploy, not one of this environment's \(production-deploy, /],
  ['a job for another function', (job) => aws.event({ ...job, functionName: 'someone-elses-function' }), /^the action invokes someone-elses-function, not this function \(step\)$/],
  ['a job of another account', (job) => aws.event({ ...job, accountId: '999999999999' }), /^job of account 999999999999, this function runs in 123456789012$/],
  [
    'an event whose UserParameters differ from the job',
    (job) => {
      aws.event(job);
      return jobEvent({ ...job, params: { ...(job.params as object), model: '/attacker/model', config: '/attacker/config' } });
    },
    /^the event's UserParameters differ from the job CodePipeline holds$/,
  ],
  [
    'an event whose artifacts differ from the job',
    (job) => {
      aws.event({ ...job, inputs: [{ name: 'Release', bucket: ARTIFACTS, key: 'genuine/release.zip' }] });
      return jobEvent({ ...job, inputs: [{ name: 'Release', bucket: 'attacker-bucket', key: 'release.zip' }] });
    },
    /^the event's input artifacts differ from the job CodePipeline holds$/,
  ],
  [
    'an event with a continuation token the job does not have',
    (job) => {
      aws.event(job);
      return jobEvent({ ...job, continuationToken: Buffer.from('{"v":1,"s":{"startedAt":1}}').toString('base64url') });
    },
    /^the event's continuation token differ from the job CodePipeline holds$/,
  ],
];

describe.each(STEP_CASES)('$name', (c) => {
  test.each(FORGERIES)('%s: nothing done, nothing reported, the refusal logged', async (_what, forge, reason) => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const handler = await c.setup(aws);
    aws.requests.length = 0;
    await handler(forge({ ...c.job, id: `forged-${c.name}` }), aws.context());
    expect(aws.requests.map((r) => r.op)).toEqual(['CodePipeline.GetJobDetails']);
    expect(nonZero(c.sideEffects(aws))).toEqual({});
    expect(aws.codepipeline.reports.filter((r) => r.jobId === `forged-${c.name}`)).toEqual([]);
    expect(refusals()).toEqual([expect.stringMatching(reason)]);
  });
});

test('the genuine job after a refused forgery of it still runs (a refusal takes no record)', async () => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const c = STEP_CASES[0];
  const handler = await c.setup(aws);
  const job = { ...c.job, id: 'job-genuine' };
  const genuine = aws.event(job);
  await handler(jobEvent({ ...job, params: { ...(job.params as object), hook: 'destructiveInstall' } }), aws.context());
  expect(aws.calls('ECS.RunTask')).toHaveLength(0);
  await handler(genuine, aws.context());
  expect(nonZero(c.sideEffects(aws))).toEqual(c.once);
  expect(aws.codepipeline.reports).toHaveLength(1);
});

test('steps see the verified pipeline context and CodePipeline\'s artifact credentials, not the event\'s', async () => {
  const { defineStep } = await import('../../lambda/runtime/job');
  const seen: unknown[] = [];
  const handler = defineStep<object>({ name: 'probe', parseParams: (p) => p as object, run: async (ctx) => (seen.push({ job: ctx.job, key: ctx.data.artifactCredentials.accessKeyId, params: ctx.params }), { status: 'done', summary: 'ok' }) }, aws.deps());
  const event = aws.event({ id: 'job-ctx', params: { a: 1 }, pipeline: 'production-destructive', stage: 'Run_install', action: 'Install' });
  // Fresh credentials from GetJobDetails replace the event's (which may be stale or forged).
  aws.codepipeline.jobs.get('job-ctx')!.data.artifactCredentials.accessKeyId = 'AKIAFRESH';
  await handler(event, aws.context());
  expect(seen).toEqual([
    {
      job: { id: 'job-ctx', pipelineName: 'production-destructive', pipelineExecutionId: 'pe-job-ctx', stageName: 'Run_install', actionName: 'Install', actionExecutionId: 'ae-job-ctx' },
      key: 'AKIAFRESH',
      params: { a: 1 },
    },
  ]);
});

test('a runtime without its configuration refuses every job and says what is missing', async () => {
  const { defineStep } = await import('../../lambda/runtime/job');
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const run = jest.fn();
  const { pipelines: _p, table: _t, ...deps } = aws.deps();
  await defineStep({ name: 'probe', parseParams: (p) => p, run }, deps)(aws.event({ id: 'job-noconf', params: {} }), aws.context());
  expect(run).not.toHaveBeenCalled();
  expect(aws.requests).toEqual([]);
  expect(JSON.parse(String(errors.mock.calls[0][0]))).toMatchObject({ refused: 'runtime not configured', missing: ['STEP_PIPELINES', 'STEP_TABLE'] });
});
