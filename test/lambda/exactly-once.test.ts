/**
 * Exactly once, for every step handler: two deliveries of the same job really in flight at once
 * (Promise.all on the fake, whose DynamoDB lets exactly one conditional write win) do the step's
 * side effects once and report once; a later duplicate of the finished job does nothing again.
 */
import { FakeAws, STEP_TABLE } from '../fakes/aws';
import { useFakeAws } from '../fakes/shop';
import { cleanUp, nonZero, STEP_CASES } from './step-cases';

let aws: FakeAws;
useFakeAws((started) => (aws = started));
afterEach(cleanUp);

const logged = (pattern: RegExp) => (console.log as jest.Mock).mock.calls.map((c) => String(c[0])).filter((l) => pattern.test(l));
const putJobs = (jobId: string) =>
  [...aws.calls('CodePipeline.PutJobSuccessResult'), ...aws.calls('CodePipeline.PutJobFailureResult')].filter((b) => b.jobId === jobId);

describe.each(STEP_CASES)('$name', (c) => {
  test('two deliveries in flight at once: the side effects once, one PutJob*, the loser does and reports nothing', async () => {
    const handler = await c.setup(aws);
    const event = aws.event({ ...c.job, id: `job-${c.name}` });
    await Promise.all([handler(event, aws.context()), handler(event, aws.context())]);

    expect(nonZero(c.sideEffects(aws))).toEqual(c.once);
    expect(putJobs(`job-${c.name}`)).toHaveLength(1);
    // Both were really in flight: one lost the race for the job's record (not a sequential duplicate).
    expect(logged(/lost the race/)).toHaveLength(1);
    // The job's exactly-once record (`job#…`): a step's own claims (timeline marks, `record#…`) are not races for the job.
    expect(aws.calls('DynamoDB.PutItem').filter((b) => b.TableName === STEP_TABLE && b.Item?.id?.S?.startsWith('job#') && b.ConditionExpression?.includes('attribute_not_exists'))).toHaveLength(2);

    // A later duplicate of the finished job: nothing again.
    const before = aws.requests.length;
    await handler(event, aws.context());
    expect(aws.requests.slice(before).map((r) => r.op)).toEqual(['CodePipeline.GetJobDetails', 'DynamoDB.PutItem']);
    expect(logged(/this job was already handled/)).toHaveLength(1);
    expect(nonZero(c.sideEffects(aws))).toEqual(c.once);
  });
});

test('the exactly-once record is keyed on the verified job id and expires after 2 days; the in-progress lock with the invocation', async () => {
  const handler = await STEP_CASES[0].setup(aws);
  const started = Date.now();
  await handler(aws.event({ ...STEP_CASES[0].job, id: 'job-ttl' }), aws.context(120_000));
  const [put] = aws.calls('DynamoDB.PutItem');
  expect(put.Item.id.S).toMatch(/^job#/);
  expect(Number(put.Item.expiration.N)).toBeGreaterThanOrEqual(Math.floor(started / 1000) + 2 * 24 * 3600);
  expect(Number(put.Item.expiration.N)).toBeLessThan(Math.floor(Date.now() / 1000) + 2 * 24 * 3600 + 5);
  // In-progress expiry: now + the invocation's remaining time (milliseconds), so a crashed invocation does not lock the job.
  expect(Number(put.Item.in_progress_expiration.N)).toBeGreaterThanOrEqual(started + 119_000);
  expect(Number(put.Item.in_progress_expiration.N)).toBeLessThanOrEqual(Date.now() + 120_000);
  const [record] = aws.dynamodb.items('production-steps').filter((i) => i.id.S!.startsWith('job#'));
  expect(record.status.S).toBe('COMPLETED');
});

test('a step table that cannot be written: nothing done, the job fails saying where and to retry', async () => {
  const handler = await STEP_CASES[0].setup(aws);
  aws.fail('DynamoDB.PutItem', 'AccessDeniedException', 'not authorized to perform dynamodb:PutItem', 1, 400);
  await handler(aws.event({ ...STEP_CASES[0].job, id: 'job-nodb' }), aws.context());
  expect(aws.calls('ECS.RunTask')).toHaveLength(0);
  expect(aws.codepipeline.reports).toEqual([
    expect.objectContaining({
      kind: 'failure',
      body: expect.objectContaining({
        failureDetails: {
          type: 'PermissionError',
          message: expect.stringMatching(/^run-hook: could not take the job's exactly-once record in DynamoDB table production-steps: AccessDeniedException: .*nothing was done; retry the stage$/),
        },
      }),
    }),
  ]);
});
