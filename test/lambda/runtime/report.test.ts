/** PutJob* on the fake with the real SDK: throttling outlives the SDK's retries and is still reported; a lasting failure is an error in the log. */
import { defineStep } from '../../../lambda/runtime/job';
import type { FakeAws } from '../../fakes/aws';
import { useFakeAws } from '../../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const done = () => defineStep({ name: 'demo', parseParams: (p) => p, run: async () => ({ status: 'done', summary: 'ok' }) }, aws.deps());

test('PutJobSuccessResult throttled 4 times (past the SDK\'s 3 attempts): retried by the runtime and reported', async () => {
  aws.fail('CodePipeline.PutJobSuccessResult', 'ThrottlingException', 'Rate exceeded', 4);
  const t0 = aws.clock.now;
  await done()(aws.event({ id: 'job-throttled', params: {} }), aws.context());
  expect(aws.calls('CodePipeline.PutJobSuccessResult')).toHaveLength(5);
  expect(aws.codepipeline.reports).toEqual([expect.objectContaining({ jobId: 'job-throttled', kind: 'success' })]);
  expect(aws.clock.now - t0).toBe(1000); // one runtime backoff on the Lambda clock
  expect(console.error).not.toHaveBeenCalled();
});

test('PutJobFailureResult failing with 500s for good: bounded attempts, then an ERROR line (not "already finished")', async () => {
  aws.fail('CodePipeline.PutJobFailureResult', 'InternalFailure', 'boom', 100, 500);
  await defineStep({ name: 'demo', parseParams: () => { throw new Error('bad'); }, run: async () => ({ status: 'done', summary: '' }) }, aws.deps())(
    aws.event({ id: 'job-down', params: {} }),
    aws.context(),
  );
  expect(aws.calls('CodePipeline.PutJobFailureResult')).toHaveLength(6 * 3); // 6 runtime attempts × 3 SDK attempts
  expect(aws.codepipeline.reports).toEqual([]);
  const lines = (console.error as jest.Mock).mock.calls.map((c) => JSON.parse(String(c[0])));
  expect(lines.at(-1)).toMatchObject({ level: 'ERROR', jobId: 'job-down', error: expect.stringMatching(/^CodePipeline PutJobFailureResult failed: InternalFailure: boom/) });
  expect((console.log as jest.Mock).mock.calls.join('\n')).not.toMatch(/already finished/);
});
