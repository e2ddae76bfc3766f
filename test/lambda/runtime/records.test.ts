/** The step records API and continuation states too large for a token, on the fake's DynamoDB (real SDK over loopback). */
import { defineStep, INLINE_TOKEN_LIMIT, tokenPointer, type LambdaContext, type StepContext, type StepRecords } from '../../../lambda/runtime/job';
import { evaluateCondition } from '../../fakes/dynamodb';
import { STEP_TABLE, type FakeAws } from '../../fakes/aws';
import { useFakeAws } from '../../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

/** Runs `body` inside a real step invocation and hands back its ctx.records. */
async function withRecords<T>(body: (records: StepRecords, ctx: StepContext<unknown>) => Promise<T>, id = 'job-records'): Promise<T> {
  let out: T | undefined;
  await defineStep({ name: 'records', parseParams: (p) => p, run: async (ctx) => ((out = await body(ctx.records, ctx)), { status: 'done', summary: 'ok' }) }, aws.deps())(
    aws.event({ id, params: {} }),
    aws.context(),
  );
  return out as T;
}

describe('ctx.records', () => {
  test('claim: of two concurrent claims exactly one creates the record; the other sees the winner\'s value', async () => {
    const results = await Promise.all([
      withRecords((r) => r.claim('maintenance#production', { owner: 'job-a' }), 'job-a'),
      withRecords((r) => r.claim('maintenance#production', { owner: 'job-b' }), 'job-b'),
    ]);
    expect(results.filter((c) => c.created)).toHaveLength(1);
    const winner = results.find((c) => c.created)!.value;
    expect(results.map((c) => c.value)).toEqual([winner, winner]);
    expect(await withRecords((r) => r.get('maintenance#production'), 'job-c')).toEqual(winner);
  });

  test('get/put/delete; delete with ifValue removes only the expected value', async () => {
    const out = await withRecords(async (r) => {
      const absent = await r.get('k');
      await r.put('k', { n: 1 });
      const read = await r.get('k');
      const wrong = await r.delete('k', { ifValue: { n: 2 } });
      const still = await r.get('k');
      const right = await r.delete('k', { ifValue: { n: 1 } });
      const gone = await r.get('k');
      const again = await r.delete('k');
      return { absent, read, wrong, still, right, gone, again };
    });
    expect(out).toEqual({ absent: undefined, read: { n: 1 }, wrong: false, still: { n: 1 }, right: true, gone: undefined, again: false });
    expect(aws.dynamodb.items(STEP_TABLE).filter((i) => i.id.S!.startsWith('record#'))).toEqual([]);
  });

  test('an expired record (not yet deleted by TTL) is absent: get misses it, claim takes it over', async () => {
    const out = await withRecords(async (r, ctx) => {
      await r.put('lease', 'old', { ttlSeconds: 60 });
      aws.clock.advance(61_000);
      const read = await r.get('lease');
      const claim = await r.claim('lease', 'new');
      return { read, claim, now: ctx.now() };
    });
    expect(out.read).toBeUndefined();
    expect(out.claim).toEqual({ created: true, value: 'new' });
    const item = aws.dynamodb.items(STEP_TABLE).find((i) => i.id.S === 'record#lease')!;
    expect(Number(item.expiration.N)).toBe(Math.floor(out.now / 1000) + 2 * 24 * 3600);
  });

  test('a failing table names the record, the table and the reason', async () => {
    aws.fail('DynamoDB.GetItem', 'ProvisionedThroughputExceededException', 'slow down', 5, 400);
    let message = '';
    await withRecords(async (r) => r.get('k').catch((e: Error) => void (message = e.message)));
    expect(message).toMatch(/^DynamoDB GetItem of record record#k in DynamoDB table production-steps failed: ProvisionedThroughputExceededException: slow down/);
  });
});

describe('continuation state larger than a token', () => {
  type S = { round: number; ids: string[] };
  const big = (round: number): S => ({ round, ids: Array.from({ length: 80 }, (_, i) => `ecs-svc/${4_000_000_000_000_000_000n + BigInt(i)}`) });
  const step = (event: Parameters<ReturnType<typeof defineStep>>[0], context: LambdaContext) => defineStep<object, S>(
    { name: 'big', parseParams: (p) => p as object, run: async (_ctx, state) => ((state?.round ?? 0) < 2 ? { status: 'continue', state: big((state?.round ?? 0) + 1), summary: 'waiting' } : { status: 'done', summary: `resumed with ${state!.ids.length} ids` }) },
    aws.deps(),
  )(event, context);

  test('goes to the step table; the token is a versioned pointer; the next job resumes from it', async () => {
    const { report, invocations, tokens } = await aws.runJob(step, { id: 'job-big', params: {} });
    expect(invocations).toBe(3);
    expect(report.body.executionDetails.summary).toBe('resumed with 80 ids');
    expect(JSON.stringify(big(1)).length).toBeGreaterThan(INLINE_TOKEN_LIMIT);
    for (const t of tokens) {
      expect(t.length).toBeLessThan(100);
      expect(JSON.parse(Buffer.from(t, 'base64url').toString())).toEqual({ v: 1, ref: expect.any(String) });
    }
    expect(tokenPointer(tokens[0])).toBe('job-big');
    expect(aws.tokenState(tokens[1], 'job-big')).toEqual(big(2));
  });

  test('a pointer whose state is gone (expired, deleted) fails clearly, naming the item and to retry', async () => {
    await step(aws.event({ id: 'job-lost', params: {} }), aws.context());
    const token: string = aws.codepipeline.reports[0].body.continuationToken;
    aws.dynamodb.tables.get(STEP_TABLE)!.forEach((_item, key) => key.startsWith('state#') && aws.dynamodb.tables.get(STEP_TABLE)!.delete(key));
    await step(aws.event({ id: 'job-lost-c1', params: {}, continuationToken: token, pipelineExecutionId: 'pe-job-lost' }), aws.context());
    expect(aws.codepipeline.reports[1].body.failureDetails).toEqual({
      type: 'JobFailed',
      message: 'the continuation state of Stage/Action (item state#pe-job-lost#Stage#Action#job-lost in DynamoDB table production-steps) is missing or expired (kept 48 h): the step cannot resume; retry the stage',
    });
  });

  test('a pointer is read only within its own action execution', async () => {
    await step(aws.event({ id: 'job-own', params: {} }), aws.context());
    const token: string = aws.codepipeline.reports[0].body.continuationToken;
    // Another pipeline execution presenting the same token finds no state of its own.
    await step(aws.event({ id: 'job-other', params: {}, continuationToken: token, pipelineExecutionId: 'pe-another' }), aws.context());
    expect(aws.codepipeline.reports[1].body.failureDetails.message).toMatch(/item state#pe-another#Stage#Action#job-own .* is missing or expired/);
  });
});

describe('the fake DynamoDB condition evaluator', () => {
  const ctx = { names: { '#id': 'id', '#e': 'expiration', '#s': 'status' }, values: { ':now': { N: '100' }, ':p': { S: 'INPROGRESS' } } };
  test.each([
    ['attribute_not_exists(#id)', undefined, true],
    ['attribute_not_exists(#id)', { id: { S: 'x' } }, false],
    ['attribute_not_exists(#id) OR #e < :now', { id: { S: 'x' }, expiration: { N: '99' } }, true],
    ['attribute_not_exists(#id) OR #e < :now', { id: { S: 'x' }, expiration: { N: '100' } }, false],
    ['#e <= :now', { expiration: { N: '100' } }, true],
    ['(#s = :p AND attribute_exists(#e)) OR attribute_not_exists(#id)', { id: { S: 'x' }, status: { S: 'INPROGRESS' } }, false],
    ['(#s = :p AND attribute_exists(#e)) OR attribute_not_exists(#id)', { id: { S: 'x' }, status: { S: 'INPROGRESS' }, expiration: { N: '1' } }, true],
    ['NOT #s = :p', { status: { S: 'COMPLETED' } }, true],
  ])('%s on %j → %s', (expression, item, expected) => {
    expect(evaluateCondition(expression, item as never, ctx as never)).toBe(expected);
  });
});
