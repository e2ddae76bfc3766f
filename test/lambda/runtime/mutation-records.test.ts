/**
 * ctx.records at its edges, on the fake's DynamoDB with the real SDK (mutation testing showed
 * these unpinned): expiry to the second, TTLs given per call, what each request asks of DynamoDB,
 * and the errors a step sees.
 */
import { defineStep, StepFailure, type StepContext, type StepRecords } from '../../../lambda/runtime/job';
import { STEP_TABLE, type FakeAws } from '../../fakes/aws';
import { useFakeAws } from '../../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

/** Runs `body` inside a real step invocation and hands back what it returned (or threw). */
async function withRecords<T>(body: (records: StepRecords, ctx: StepContext<unknown>) => Promise<T>, id = 'job-records'): Promise<T> {
  let out: { value: T } | { error: unknown } | undefined;
  const run = async (ctx: StepContext<unknown>) => {
    try {
      out = { value: await body(ctx.records, ctx) };
    } catch (error) {
      out = { error };
    }
    return { status: 'done' as const, summary: 'ok' };
  };
  await defineStep({ name: 'records', parseParams: (p) => p, run }, { ...aws.deps(), clientConfig: { ...aws.deps().clientConfig, maxAttempts: 1 } })(aws.event({ id, params: {} }), aws.context());
  if (!out) throw new Error('the step did not run');
  if ('error' in out) throw out.error;
  return out.value;
}
const stored = (key: string) => aws.dynamodb.items(STEP_TABLE).find((i) => i.id.S === `record#${key}`);
const epoch = () => Math.floor(aws.clock.now / 1000);

test('a record lives until its expiry second: live one millisecond before, gone at it (get, claim, delete alike)', async () => {
  const out = await withRecords(async (r) => {
    await r.put('lease', 'held', { ttlSeconds: 60 });
    aws.clock.advance(59_999);
    const before = await r.get('lease');
    const claimBefore = await r.claim('lease', 'mine');
    aws.clock.advance(1);
    const at = await r.get('lease');
    const deleted = await r.delete('lease');
    return { before, claimBefore, at, deleted };
  });
  expect(out).toEqual({ before: 'held', claimBefore: { created: false, value: 'held' }, at: undefined, deleted: false });
  const claimed = await withRecords(async (r) => {
    await r.put('lease2', 'held', { ttlSeconds: 60 });
    aws.clock.advance(60_000);
    return r.claim('lease2', 'mine', { ttlSeconds: 30 });
  }, 'job-claim');
  expect(claimed).toEqual({ created: true, value: 'mine' });
  expect(stored('lease2')).toEqual({ id: { S: 'record#lease2' }, value: { S: '"mine"' }, expiration: { N: String(epoch() + 30) } });
});

test('put and claim take their TTL per call, 2 days by default; the claim compares expiry with now', async () => {
  const t0 = epoch();
  await withRecords(async (r) => {
    await r.put('a', { n: 1 }, { ttlSeconds: 5 });
    await r.put('b', { n: 2 });
    await r.claim('c', 3, { ttlSeconds: 7 });
    await r.claim('d', 4);
  });
  expect(['a', 'b', 'c', 'd'].map((k) => Number(stored(k)!.expiration.N) - t0)).toEqual([5, 172_800, 7, 172_800]);
  const claim = aws.calls('DynamoDB.PutItem').find((b) => b.Item.id.S === 'record#c');
  expect(claim).toEqual({
    TableName: STEP_TABLE,
    Item: { id: { S: 'record#c' }, value: { S: '3' }, expiration: { N: String(t0 + 7) } },
    ConditionExpression: 'attribute_not_exists(#id) OR #expiration <= :now',
    ExpressionAttributeNames: { '#id': 'id', '#expiration': 'expiration' },
    ExpressionAttributeValues: { ':now': { N: String(t0) } },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
});

test('reads are strongly consistent; a conditional delete sends the JSON text it expects', async () => {
  await withRecords(async (r) => {
    await r.get('k');
    await r.delete('k', { ifValue: { owner: 'job-a', n: 1 } });
    await r.delete('k');
  });
  expect(aws.calls('DynamoDB.GetItem').filter((b) => b.Key.id.S === 'record#k')).toEqual([{ TableName: STEP_TABLE, Key: { id: { S: 'record#k' } }, ConsistentRead: true }]);
  expect(aws.calls('DynamoDB.DeleteItem')).toEqual([
    {
      TableName: STEP_TABLE,
      Key: { id: { S: 'record#k' } },
      ReturnValues: 'ALL_OLD',
      ConditionExpression: '#value = :value',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':value': { S: '{"owner":"job-a","n":1}' } },
    },
    { TableName: STEP_TABLE, Key: { id: { S: 'record#k' } }, ReturnValues: 'ALL_OLD' },
  ]);
});

test('an item without an expiry is live; one without a value is absent', async () => {
  aws.dynamodb.tables.get(STEP_TABLE)!.set('record#forever', { id: { S: 'record#forever' }, value: { S: '"x"' } });
  aws.dynamodb.tables.get(STEP_TABLE)!.set('record#empty', { id: { S: 'record#empty' }, expiration: { N: String(epoch() + 60) } });
  expect(await withRecords(async (r) => [await r.get('forever'), await r.get('empty'), await r.claim('empty', 'mine')])).toEqual([
    'x',
    undefined,
    { created: false, value: undefined },
  ]);
});

test('a value that is not JSON, and an empty key, are the step\'s own errors', async () => {
  await expect(withRecords((r) => r.put('k', undefined))).rejects.toThrow(new TypeError('record record#k: value must be JSON, got undefined'));
  await expect(withRecords((r) => r.claim('k', (() => 1) as unknown), 'job-fn')).rejects.toThrow(
    'DynamoDB PutItem (claim) of record record#k in DynamoDB table production-steps failed: TypeError: record record#k: value must be JSON, got () => 1',
  );
  await expect(withRecords((r) => r.get(''), 'job-empty')).rejects.toThrow(new TypeError('a record key must not be empty'));
  expect(aws.calls('DynamoDB.GetItem').filter((b) => b.Key.id.S.startsWith('record#'))).toEqual([]);
});

test.each<[string, string, (r: StepRecords) => Promise<unknown>, string]>([
  ['claim', 'DynamoDB.PutItem', (r) => r.claim('k', 1), 'DynamoDB PutItem (claim) of record record#k in DynamoDB table production-steps failed'],
  ['put', 'DynamoDB.PutItem', (r) => r.put('k', 1), 'DynamoDB PutItem of record record#k in DynamoDB table production-steps failed'],
  ['delete', 'DynamoDB.DeleteItem', (r) => r.delete('k'), 'DynamoDB DeleteItem of record record#k in DynamoDB table production-steps failed'],
  ['a conditional delete', 'DynamoDB.DeleteItem', (r) => r.delete('k', { ifValue: 1 }), 'DynamoDB DeleteItem of record record#k in DynamoDB table production-steps failed'],
])('%s: a failing table is a StepFailure naming the request, the record and the table', async (_what, op, act, message) => {
  // The first call of `op` is the runtime's own (the exactly-once record's PutItem); fail the step's.
  const out = await withRecords(async (r) => {
    aws.fail(op, 'AccessDeniedException', 'no dynamodb access', 1, 400);
    return act(r).then(
      () => undefined,
      (e: unknown) => e,
    );
  });
  expect(out).toBeInstanceOf(StepFailure);
  expect(out).toMatchObject({ failureType: 'PermissionError', message: `${message}: AccessDeniedException: no dynamodb access (the step's role lacks a permission: check its IAM policy)` });
});
