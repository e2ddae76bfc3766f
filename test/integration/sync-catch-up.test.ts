/**
 * Sync_catch_up against a real RabbitMQ (scripts/rabbitmq.sh starts one on 127.0.0.1:15672) and
 * the stateful fake AWS (SSM, Secrets Manager, CodePipeline, the step table) over loopback: the
 * test fills queues of two store vhosts through the management API and drains them while the
 * bundled-to-be handler polls. Time is real here (the broker's is): short settle and intervals.
 */
import type { CodePipelineEvent } from 'aws-lambda';
import { DEFAULT_IGNORED_QUEUES, DEFAULT_SYNC_QUEUES, type SyncCatchUpParams } from '../../lib/contracts/sync-catch-up';
import { timelineKey, type TimelineEdge } from '../../lib/contracts/timeline';
import type { BrokerConfig } from '../../lambda/rabbitmq/config';
import { decodeToken, defineStep, encodeToken } from '../../lambda/runtime/job';
import { syncCatchUpStep, type SyncCatchUpState } from '../../lambda/sync-catch-up';
import { FakeAws, FUNCTION_ARN, STEP_TABLE } from '../fakes/aws';
import { ADMIN, BROKER_AVAILABLE, brokerSuite, ENDPOINT } from './broker';

const suite = brokerSuite('Sync_catch_up');

jest.setTimeout(90_000);

const CONFIG = '/production/pipeline/rabbitmq';
const ADMIN_SECRET = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:production/broker/admin';
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(ENDPOINT + path, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

const v = encodeURIComponent;
const fill = async (vhost: string, queue: string, count: number) => {
  await admin('PUT', `/api/queues/${v(vhost)}/${v(queue)}`, { durable: false, auto_delete: false });
  for (let i = 0; i < count; i++) {
    const out = await admin('POST', `/api/exchanges/${v(vhost)}/amq.default/publish`, { properties: {}, routing_key: queue, payload: `m${i}`, payload_encoding: 'string' });
    expect(out.routed).toBe(true);
  }
};
const drain = (vhost: string, queue: string) => admin('DELETE', `/api/queues/${v(vhost)}/${v(queue)}/contents`);

/** The management API samples queue counts every few seconds: wait (bounded) until it shows what we published. */
async function countsShow(vhost: string, queue: string, messages: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const q = await admin('GET', `/api/queues/${v(vhost)}/${v(queue)}?columns=messages`);
    if (q.messages === messages) return;
    if (Date.now() > deadline) throw new Error(`${vhost}/${queue} shows ${q.messages} messages, not ${messages}`);
    await realSleep(250);
  }
}

suite('Sync_catch_up against RabbitMQ', () => {
  let aws: FakeAws;
  let handler: ReturnType<typeof defineStep>;
  let prefix: string;
  let de: string;
  let at: string;

  beforeAll(async () => {
    if (!BROKER_AVAILABLE) throw new Error(`CI=true but no RabbitMQ management API answers at ${ENDPOINT}: .ci/run must start it first`);
    aws = await new FakeAws().start();
    handler = defineStep(syncCatchUpStep({ intervalMs: 500, api: { timeoutMs: 3000, backoffMs: 10 } }), { ...aws.deps(), sleep: realSleep, now: Date.now });
  });
  afterAll(() => aws?.stop());

  beforeEach(async () => {
    prefix = `sc${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    de = `${prefix}_de_queue`;
    at = `${prefix}_at_queue`;
    for (const vhost of [de, at]) {
      await admin('PUT', `/api/vhosts/${v(vhost)}`, {});
      await admin('PUT', `/api/permissions/${v(vhost)}/${v(ADMIN.username)}`, { configure: '.*', write: '.*', read: '.*' });
    }
    const config: BrokerConfig = { v: 1, endpoint: ENDPOINT, adminSecret: ADMIN_SECRET, vhosts: [de, at], users: [], removeUndeclared: false };
    aws.ssm.set(CONFIG, JSON.stringify(config));
    aws.secretsManager.set(ADMIN_SECRET, JSON.stringify(ADMIN));
  });

  afterEach(async () => {
    for (const vhost of [de, at]) await admin('DELETE', `/api/vhosts/${v(vhost)}`).catch(() => undefined);
  });

  const params = (over: Partial<SyncCatchUpParams> = {}): SyncCatchUpParams => ({
    config: CONFIG,
    endpoint: ENDPOINT,
    allowInsecureEndpoint: true,
    queues: [...DEFAULT_SYNC_QUEUES],
    ignore: [...DEFAULT_IGNORED_QUEUES],
    settleSeconds: 1,
    timeoutMinutes: 30,
    mode: 'await',
    onTimeout: 'fail',
    ...over,
  });

  /** A Lambda context on the real clock. */
  const context = (ms: number) => {
    const deadline = Date.now() + ms;
    return { getRemainingTimeInMillis: () => deadline - Date.now(), functionName: 'step', invokedFunctionArn: FUNCTION_ARN };
  };
  const reportOf = (event: CodePipelineEvent) => aws.codepipeline.reports.filter((r) => r.jobId === event['CodePipeline.job'].id);
  const mark = (executionId: string, edge: TimelineEdge) => {
    const item = aws.dynamodb.tables.get(STEP_TABLE)!.get(`record#${timelineKey(executionId, 'syncCatchUp', edge)}`);
    return item && JSON.parse(item.value.S!);
  };
  let jobs = 0;
  const job = (p: SyncCatchUpParams, extra: { continuationToken?: string; pipelineExecutionId?: string } = {}) => {
    jobs++;
    const id = `5c000000-0000-4000-8000-${String(jobs).padStart(12, '0')}`;
    return aws.event({ id, params: p, stage: 'Sync_catch_up', action: 'Sync_catch_up', pipelineExecutionId: extra.pipelineExecutionId ?? `exec-${prefix}`, ...extra });
  };

  test('queues filled in two vhosts: the step waits while they hold messages and ends once they drained, marking the drain time', async () => {
    await fill(de, 'publish.product_abstract', 5);
    await fill(at, 'sync.storage.product', 3);
    // Not awaited: an error queue (ignored by default) and a queue no pattern names.
    await fill(de, 'sync.storage.product.error', 2);
    await fill(at, 'event.retry', 1);
    await countsShow(de, 'publish.product_abstract', 5);
    await countsShow(at, 'sync.storage.product', 3);

    const event = job(params());
    const running = handler(event, context(120_000));
    await realSleep(3000);
    expect(reportOf(event)).toEqual([]); // still waiting: the queues hold messages
    const drainedFrom = Date.now();
    await drain(de, 'publish.product_abstract');
    await drain(at, 'sync.storage.product');
    await running;
    const drainedBy = Date.now();

    const [report] = reportOf(event);
    expect(report.kind).toBe('success');
    expect(report.body.continuationToken).toBeUndefined();
    expect(report.body.executionDetails.summary).toMatch(new RegExp(`^sync queues drained \\d+ s after the measurement started: \\d+ queue\\(s\\) in 2 vhost\\(s\\) of ${ENDPOINT.replace(/\./g, '\\.')}, at most 8 message\\(s\\)$`));
    const end = mark(`exec-${prefix}`, 'end');
    // The drain time: the first read that saw them empty, after we emptied them, within the broker's sampling interval.
    expect(end.at).toBeGreaterThanOrEqual(drainedFrom);
    expect(end.at).toBeLessThanOrEqual(drainedBy);
    expect(end.by).toBe('Sync_catch_up/Sync_catch_up');
    expect(mark(`exec-${prefix}`, 'start').note).toBe('when the measurement started');
    // The ignored and unnamed queues were never waited for: they still hold their messages.
    expect((await admin('GET', `/api/queues/${v(de)}/sync.storage.product.error?columns=messages`)).messages).toBe(2);
  });

  test('a start marked earlier (scheduler:setup) stays, and the summary measures from it', async () => {
    const executionId = `exec-${prefix}-marked`;
    const setupAt = Date.now() - 42_000;
    aws.dynamodb.tables.get(STEP_TABLE)!.set(`record#${timelineKey(executionId, 'syncCatchUp', 'start')}`, {
      id: { S: `record#${timelineKey(executionId, 'syncCatchUp', 'start')}` },
      value: { S: JSON.stringify({ v: 1, at: setupAt, by: 'Run_install/Run_install', note: 'scheduler:setup' }) },
      expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
    });
    const event = job(params(), { pipelineExecutionId: executionId });
    await handler(event, context(60_000));
    const [report] = reportOf(event);
    expect(report.body.executionDetails.summary).toMatch(/^sync queues drained (4[2-9]|5\d) s after scheduler:setup: 0 queue\(s\) in 2 vhost\(s\)/);
    expect(report.body.executionDetails.summary).toContain('(no queue in 2 vhost(s) of');
    expect(mark(executionId, 'start')).toEqual({ v: 1, at: setupAt, by: 'Run_install/Run_install', note: 'scheduler:setup' });
  });

  test('at the bound: fails naming the queues still holding messages; warn and measure succeed with a warning', async () => {
    await fill(de, 'publish', 4);
    await fill(at, 'sync.search.product', 2);
    await countsShow(de, 'publish', 4);
    await countsShow(at, 'sync.search.product', 2);
    // Resumed from a continuation whose watch began 31 minutes ago: the bound (30 min) has passed.
    const resumed: SyncCatchUpState = { v: 1, startedAt: Date.now() - 31 * 60_000, peak: 6 };
    const token = encodeToken(resumed);

    const failing = job(params(), { continuationToken: token });
    await handler(failing, context(60_000));
    const [failure] = reportOf(failing);
    expect(failure.kind).toBe('failure');
    expect(failure.body.failureDetails.type).toBe('JobFailed');
    expect(failure.body.failureDetails.message).toBe(
      `the sync queues did not drain within 30 min in 2 vhost(s) of ${ENDPOINT}: 6 message(s) left in ${de}/publish (4 message(s), 0 unacknowledged), ${at}/sync.search.product (2 message(s), 0 unacknowledged). ` +
        "Redis and search still lag behind the database: check that the scheduler's queue workers run (Jenkins queue:worker:start) and the queues' consumers; retry the stage once they drained, or raise syncCatchUp.timeout",
    );

    for (const [over, label] of [[{ onTimeout: 'warn' }, 'onTimeout: warn'], [{ mode: 'measure' }, 'measure only']] as const) {
      const warned = job(params(over), { continuationToken: token });
      await handler(warned, context(60_000));
      const [report] = reportOf(warned);
      expect(report.kind).toBe('success');
      expect(report.body.executionDetails.summary).toMatch(new RegExp(`^WARNING \\(${label}\\): the sync queues did not drain within 30 min`));
    }
    // A timeout never marks the end: the state stays open in the report.
    expect(mark(`exec-${prefix}`, 'end')).toBeUndefined();
  });

  test('a wait longer than one invocation hands back a continuation, and the next invocation ends it', async () => {
    await fill(de, 'publish.price_product_abstract', 3);
    await countsShow(de, 'publish.price_product_abstract', 3);
    const first = job(params());
    // 15 s of reserve: this invocation reads for about 3 s, then hands back.
    await handler(first, context(18_000));
    const [handedBack] = reportOf(first);
    expect(handedBack.kind).toBe('success');
    const state = decodeToken<SyncCatchUpState>(handedBack.body.continuationToken);
    expect(state).toEqual({ v: 1, startedAt: expect.any(Number), peak: 3 });
    expect(handedBack.body.executionDetails.summary).toContain(`3 message(s) in 1 queue(s) after`);
    expect(handedBack.body.executionDetails.summary).toContain(`${de}/publish.price_product_abstract (3 message(s), 0 unacknowledged)`);

    await drain(de, 'publish.price_product_abstract');
    const second = job(params(), { continuationToken: handedBack.body.continuationToken });
    await handler(second, context(60_000));
    const [done] = reportOf(second);
    expect(done.kind).toBe('success');
    expect(done.body.executionDetails.summary).toMatch(/^sync queues drained \d+ s after the measurement started: 1 queue\(s\).*at most 3 message\(s\)$/);
    // Measured from the first invocation's start, not the second's.
    expect(mark(`exec-${prefix}`, 'start').at).toBe(state.startedAt);
  });

  test('measuring beside the rollout: it measures on while the rollout runs, and ends when the rollout ended, queues still draining, the state left open', async () => {
    await fill(de, 'publish', 3);
    await countsShow(de, 'publish', 3);
    const executionId = `exec-${prefix}-beside`;
    const inStage = (id: string, action: string, p: unknown, continuationToken?: string) =>
      aws.event({ id, params: p as SyncCatchUpParams, stage: 'Deploy_Spryker_services', action, pipelineExecutionId: executionId, ...(continuationToken ? { continuationToken } : {}) });
    const rollout = inStage('de910000-0000-4000-8000-000000000001', 'Deploy_Spryker_services', { model: '/production/pipeline/model', services: 'application' });
    const first = inStage('de910000-0000-4000-8000-000000000002', 'Measure_sync_catch_up', params({ mode: 'measure' }));
    // The rollout beside it runs: the measurement goes on (hands back after about 3 s).
    await handler(first, context(18_000));
    const [handedBack] = reportOf(first);
    expect(handedBack.body.continuationToken).toEqual(expect.any(String));

    aws.codepipeline.api.PutJobSuccessResult({ jobId: rollout['CodePipeline.job'].id });
    const second = inStage('de910000-0000-4000-8000-000000000003', 'Measure_sync_catch_up', params({ mode: 'measure' }), handedBack.body.continuationToken);
    const started = Date.now();
    await handler(second, context(60_000));
    const [done] = reportOf(second);
    expect(done.kind).toBe('success');
    expect(done.body.continuationToken).toBeUndefined();
    expect(done.body.executionDetails.summary).toMatch(
      new RegExp(`^WARNING \\(measure only\\): the rollout beside this measurement ended with the sync queues still draining after \\d+ s: 3 message\\(s\\) left in ${de}/publish \\(3 message\\(s\\), 0 unacknowledged\\)`),
    );
    // At its first check, not at the 30-minute bound.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(mark(executionId, 'end')).toBeUndefined();
  });

  test('two deliveries of one job in flight at once: one watches and reports, the other does nothing', async () => {
    await fill(at, 'sync.storage.cms', 2);
    await countsShow(at, 'sync.storage.cms', 2);
    const event = job(params());
    const both = Promise.all([handler(event, context(60_000)), handler(event, context(60_000))]);
    await realSleep(1500);
    await drain(at, 'sync.storage.cms');
    await both;
    const reports = reportOf(event);
    expect(reports).toHaveLength(1);
    expect(reports[0].kind).toBe('success');
    expect(reports[0].body.executionDetails.summary).toMatch(/^sync queues drained/);
  });

  test('a broker config naming another endpoint: no secret read, no request, ConfigurationError', async () => {
    aws.ssm.set(CONFIG, JSON.stringify({ v: 1, endpoint: 'https://attacker.example', adminSecret: ADMIN_SECRET, vhosts: [de], users: [], removeUndeclared: false }));
    const before = aws.calls('SecretsManager.GetSecretValue').length;
    const event = job(params());
    await handler(event, context(60_000));
    const [failure] = reportOf(event);
    expect(failure.body.failureDetails.type).toBe('ConfigurationError');
    expect(failure.body.failureDetails.message).toContain(`names the endpoint https://attacker.example, but the pipeline stack pinned ${ENDPOINT}`);
    expect(aws.calls('SecretsManager.GetSecretValue')).toHaveLength(before);
    // Measuring only: the same problem is a warning, never a failed (and rolled back) rollout.
    const measured = job(params({ mode: 'measure' }));
    await handler(measured, context(60_000));
    expect(reportOf(measured)[0].body.executionDetails.summary).toMatch(/^WARNING \(measure only\): the sync catch-up was not measured: the broker config/);
  });
});
