/**
 * Configure_RabbitMQ_Vhosts_and_Permissions against a real RabbitMQ (scripts/rabbitmq.sh starts
 * one on 127.0.0.1:15672). The whole handler runs: defineStep, the real SDK clients against the
 * stateful fake AWS (CodePipeline, SSM, Secrets Manager, the step table), the plan, and every
 * request to the broker, through a recording proxy that can also lose or replace an answer.
 * Names are unique per test and removed afterwards.
 */
import * as net from 'net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { rabbitMqStep, type RabbitMqDeps } from '../../lambda/rabbitmq';
import type { BrokerConfig, DesiredUser } from '../../lambda/rabbitmq/config';
import { call, defineStep } from '../../lambda/runtime/job';
import { StepTable } from '../../lambda/runtime/records';
import { readTimeline } from '../../lambda/runtime/timeline';
import { FakeAws, STEP_TABLE } from '../fakes/aws';
import { BrokerProxy, loopbackCertificates } from './rabbitmq-proxy';
import { ADMIN, BROKER_AVAILABLE, brokerSuite, ENDPOINT } from './broker';

const suite = brokerSuite('RabbitMQ');

const CONFIG = '/production/pipeline/rabbitmq';
const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:';
const ADMIN_SECRET = `${ARN}it/broker/admin`;

/** The management API as the test sees it (guest, straight to the broker), to set up and verify. */
async function admin(method: string, path: string, body?: unknown, auth = ADMIN): Promise<{ status: number; json: any }> {
  const res = await fetch(ENDPOINT + path, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

let prefix = '';
let config: BrokerConfig;
let aws: FakeAws;
let proxy: BrokerProxy;
let runs = 0;

const user = (name: string, permissions: DesiredUser['permissions'], tags: string[] = []): DesiredUser => ({
  name: `${prefix}_${name}`,
  passwordSecret: `${ARN}it/broker/${name}`,
  tags,
  permissions,
});
const full = (vhost: string) => ({ vhost, configure: '.*', write: '.*', read: '.*' });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits (bounded) until the management API's statistics show the queue's message count. */
async function untilQueueShows(vhost: string, queue: string, messages: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await admin('GET', `/api/queues/${encodeURIComponent(vhost)}/${queue}`)).json?.messages !== messages) {
    if (Date.now() > deadline) throw new Error(`queue ${vhost}/${queue} never showed ${messages} messages`);
    await sleep(500);
  }
}

async function queueWithMessages(vhost: string, queue: string, count: number): Promise<void> {
  expect((await admin('PUT', `/api/vhosts/${encodeURIComponent(vhost)}`, {})).status).toBeLessThan(300);
  expect((await admin('PUT', `/api/queues/${encodeURIComponent(vhost)}/${queue}`, { durable: true, auto_delete: false, arguments: {} })).status).toBeLessThan(300);
  for (let i = 0; i < count; i++) {
    const published = await admin('POST', `/api/exchanges/${encodeURIComponent(vhost)}/amq.default/publish`, { properties: {}, routing_key: queue, payload: `order ${i}`, payload_encoding: 'string' });
    expect(published.json).toEqual({ routed: true });
  }
  await untilQueueShows(vhost, queue, count);
}

suite('Configure_RabbitMQ_Vhosts_and_Permissions against RabbitMQ', () => {
  beforeAll(() => {
    if (!BROKER_AVAILABLE) {
      throw new Error(`CI=true but no RabbitMQ management API answers at ${ENDPOINT}: .ci/run must run 'bash scripts/rabbitmq.sh install' and 'start' first`);
    }
  });

  beforeEach(async () => {
    prefix = `it${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    aws = await new FakeAws().start();
    proxy = await new BrokerProxy(ENDPOINT).start();
    const de = `${prefix}_de_queue`;
    const at = `${prefix}_at_queue`;
    config = {
      v: 1,
      endpoint: proxy.url,
      adminSecret: ADMIN_SECRET,
      vhosts: [de, at],
      users: [user('spryker', [full(de), full(at)], ['management']), user('reader', [{ vhost: de, configure: '^$', write: '^$', read: '.*' }])],
      removeUndeclared: false,
    };
    aws.secretsManager.set(ADMIN_SECRET, JSON.stringify(ADMIN));
    aws.secretsManager.set(config.users[0].passwordSecret, JSON.stringify({ password: 'spryker-pw-1' }));
    aws.secretsManager.set(config.users[1].passwordSecret, 'reader-pw-1');
  });

  afterEach(async () => {
    await proxy.stop();
    await aws.stop();
    const vhosts: { name: string }[] = (await admin('GET', '/api/vhosts?columns=name')).json;
    const users: { name: string }[] = (await admin('GET', '/api/users?columns=name')).json;
    for (const v of vhosts.filter((v) => v.name.startsWith(prefix))) await admin('DELETE', `/api/vhosts/${encodeURIComponent(v.name)}`);
    for (const u of users.filter((u) => u.name.startsWith(prefix))) await admin('DELETE', `/api/users/${encodeURIComponent(u.name)}`);
  });

  interface RunOptions {
    /** The Lambda's timeout: remaining time runs down with the wall clock (the broker is real). */
    readonly lambdaMs?: number;
    readonly api?: RabbitMqDeps['api'];
    readonly params?: Record<string, unknown>;
    /** The SSM value as is (a hand edit), instead of `config`. */
    readonly raw?: unknown;
  }

  /** One pipeline run of the action, continuations included, through the real Lambda handler. */
  async function run(options: RunOptions = {}) {
    aws.ssm.set(CONFIG, JSON.stringify(options.raw ?? config));
    const deps = { ...aws.deps(), now: Date.now, sleep };
    const handler = defineStep(rabbitMqStep({ api: options.api ?? { timeoutMs: 2000, backoffMs: 10 } }), deps);
    proxy.seen.length = 0;
    const executionId = `pe-${prefix}-${++runs}`;
    const started = Date.now();
    const out = await aws.runJob(
      handler,
      {
        id: `${prefix}-${runs}-job`.padEnd(36, '0').slice(0, 36),
        pipelineExecutionId: executionId,
        stage: 'Configure_RabbitMQ_Vhosts_and_Permissions',
        action: 'Configure_RabbitMQ_Vhosts_and_Permissions',
        params: options.params ?? { config: CONFIG, endpoint: config.endpoint, allowInsecureEndpoint: true },
      },
      { realTime: true, lambdaMs: options.lambdaMs ?? 300_000, maxInvocations: 20 },
    );
    const summaries = aws.codepipeline.reports.filter((r) => r.jobId.startsWith(`${prefix}-${runs}`)).map((r) => r.body.executionDetails?.summary as string);
    const success = out.report.kind === 'success' ? out.report.body : undefined;
    const failure = out.report.kind === 'failure' ? out.report.body.failureDetails : undefined;
    return { success, failure, invocations: out.invocations, summaries, executionId, ms: Date.now() - started };
  }

  const timeline = (executionId: string) => readTimeline(new StepTable(new DynamoDBClient(aws.deps().clientConfig!), STEP_TABLE, Date.now, call).records(), executionId);

  test('a fresh broker: every vhost, user and permission is created, as the API then shows; the reconfiguring window spans the writes', async () => {
    const { success, failure, executionId } = await run();
    expect(failure).toBeUndefined();
    expect(success?.executionDetails?.summary).toBe(`${proxy.url}: 2 vhosts created, 2 users created, 3 permissions created`);
    const [spryker, reader] = config.users;
    const [de, at] = config.vhosts;
    for (const v of [de, at]) expect((await admin('GET', `/api/vhosts/${v}`)).status).toBe(200);
    expect((await admin('GET', `/api/users/${spryker.name}`)).json.tags).toEqual(['management']);
    expect((await admin('GET', `/api/users/${reader.name}`)).json.tags).toEqual([]);
    const perms = (await admin('GET', '/api/permissions')).json.filter((p: { user: string }) => p.user.startsWith(prefix));
    expect(perms).toEqual(
      expect.arrayContaining([
        { user: spryker.name, vhost: de, configure: '.*', write: '.*', read: '.*' },
        { user: spryker.name, vhost: at, configure: '.*', write: '.*', read: '.*' },
        { user: reader.name, vhost: de, configure: '^$', write: '^$', read: '.*' },
      ]),
    );
    expect(perms).toHaveLength(3);
    // The password came from the secret (JSON form): the user logs in with it.
    expect((await admin('GET', '/api/whoami', undefined, { username: spryker.name, password: 'spryker-pw-1' })).status).toBe(200);
    // Vhosts before permissions, users before permissions.
    expect(proxy.writes().map((r) => r.path.split('/')[2])).toEqual(['vhosts', 'vhosts', 'users', 'users', 'permissions', 'permissions', 'permissions']);
    const writes = proxy.seen.filter((r) => r.method !== 'GET');
    const [span] = await timeline(executionId);
    expect(span).toMatchObject({ state: 'rabbitmqReconfiguring', startNote: '7 changes planned', endNote: 'done: 2 vhosts created, 2 users created, 3 permissions created' });
    expect(span.startMs).toBeLessThanOrEqual(writes[0].at);
    expect(span.endMs).toBeGreaterThanOrEqual(writes[writes.length - 1].at);
  });

  test('a second run: an empty plan, no write request, no reconfiguring window', async () => {
    await run();
    const { success, executionId } = await run();
    expect(success?.executionDetails?.summary).toBe(`${proxy.url}: 0 vhosts changed, 0 users changed, 0 permissions changed`);
    expect(proxy.seen.length).toBe(3);
    expect(proxy.writes()).toEqual([]);
    expect(await timeline(executionId)).toEqual([]);
  });

  test('a changed permission: exactly one update', async () => {
    await run();
    const [spryker, reader] = config.users;
    config = { ...config, users: [spryker, { ...reader, permissions: [{ ...reader.permissions[0], read: `^${prefix}\\.` }] }] };
    const { success } = await run();
    expect(success?.executionDetails?.summary).toBe(`${proxy.url}: 0 vhosts changed, 0 users changed, 1 permission updated`);
    expect(proxy.writes()).toEqual([{ method: 'PUT', path: `/api/permissions/${config.vhosts[0]}/${reader.name}` }]);
    expect((await admin('GET', `/api/permissions/${config.vhosts[0]}/${reader.name}`)).json.read).toBe(`^${prefix}\\.`);
  });

  test('a changed password: the user is rewritten once and logs in with the new one only', async () => {
    await run();
    const spryker = config.users[0];
    aws.secretsManager.set(spryker.passwordSecret, JSON.stringify({ password: 'spryker-pw-2' }));
    const { success } = await run();
    expect(success?.executionDetails?.summary).toBe(`${proxy.url}: 0 vhosts changed, 1 user updated, 0 permissions changed`);
    expect(proxy.writes()).toEqual([{ method: 'PUT', path: `/api/users/${spryker.name}` }]);
    expect((await admin('GET', '/api/whoami', undefined, { username: spryker.name, password: 'spryker-pw-2' })).status).toBe(200);
    expect((await admin('GET', '/api/whoami', undefined, { username: spryker.name, password: 'spryker-pw-1' })).status).toBe(401);
    expect((await run()).success?.executionDetails?.summary).toContain('0 users changed');
  });

  test('undeclared vhosts and users stay, unless removal is opted in; the admin and / always stay', async () => {
    await admin('PUT', `/api/vhosts/${prefix}_old_queue`, {});
    await admin('PUT', `/api/users/${prefix}_legacy`, { password: 'legacy-pw', tags: '' });
    await run();
    expect((await admin('GET', `/api/vhosts/${prefix}_old_queue`)).status).toBe(200);
    expect((await admin('GET', `/api/users/${prefix}_legacy`)).status).toBe(200);

    config = { ...config, removeUndeclared: true };
    const { success, failure } = await run();
    expect(failure).toBeUndefined();
    expect(success?.executionDetails?.summary).toMatch(/1 vhost deleted.*1 user deleted/);
    expect(proxy.writes()).toEqual(
      expect.arrayContaining([
        { method: 'DELETE', path: `/api/users/${prefix}_legacy` },
        { method: 'DELETE', path: `/api/vhosts/${prefix}_old_queue` },
      ]),
    );
    expect((await admin('GET', `/api/vhosts/${prefix}_old_queue`)).status).toBe(404);
    expect((await admin('GET', `/api/users/${prefix}_legacy`)).status).toBe(404);
    expect((await admin('GET', `/api/users/${ADMIN.username}`)).status).toBe(200);
    expect((await admin('GET', '/api/vhosts/%2F')).status).toBe(200);
    for (const v of config.vhosts) expect((await admin('GET', `/api/vhosts/${v}`)).status).toBe(200);
  });

  describe('the desired state is parsed before any request (issue 15)', () => {
    test.each([
      ['a user without passwordSecret', (c: any) => ({ ...c, users: [{ ...c.users[0], passwordSecret: undefined }, c.users[1]] }), 'users[0].passwordSecret: required'],
      ['removeUndeclared as the string "false"', (c: any) => ({ ...c, removeUndeclared: 'false' }), 'removeUndeclared: expected boolean, got string'],
      [
        'a permission without its regexes',
        (c: any) => ({ ...c, users: [c.users[0], { ...c.users[1], permissions: [{ vhost: c.vhosts[0] }] }] }),
        'users[1].permissions[0].configure: required; users[1].permissions[0].write: required; users[1].permissions[0].read: required',
      ],
      ['a vhost null', (c: any) => ({ ...c, vhosts: [c.vhosts[0], null] }), 'vhosts[1]: expected string, got null'],
    ])('%s: ConfigurationError naming the field, not one request to the broker', async (_, edit, problems) => {
      // An undeclared user that a misread removeUndeclared would delete.
      await admin('PUT', `/api/users/${prefix}_legacy`, { password: 'legacy-pw', tags: '' });
      const { failure } = await run({ raw: edit(config) });
      expect(failure).toEqual({
        type: 'ConfigurationError',
        message: `broker config ${CONFIG} is invalid (nothing was sent to the broker): ${problems}: redeploy the pipeline stack, or fix the broker props`,
      });
      expect(proxy.seen).toEqual([]);
      expect(aws.secretsManager.reads).toEqual([]);
      expect((await admin('GET', `/api/users/${prefix}_legacy`)).status).toBe(200);
    });
  });

  describe('secrets that do not exist', () => {
    test('a missing password secret and a missing admin secret: one ConfigurationError naming both props, nothing sent', async () => {
      aws.secretsManager.secrets.clear();
      aws.secretsManager.set(config.users[0].passwordSecret, 'spryker-pw-1');
      const { failure } = await run();
      expect(failure?.type).toBe('ConfigurationError');
      expect(failure?.message).toBe(
        `the broker admin secret ${ADMIN_SECRET} (broker.adminSecret) does not exist or is scheduled for deletion: create (or restore) it, or point broker.adminSecret at an existing secret and redeploy the stack; ` +
          `the broker user password secret ${config.users[1].passwordSecret} (broker.users[1].passwordSecret (user '${config.users[1].name}')) does not exist or is scheduled for deletion: create (or restore) it, or point broker.users[1].passwordSecret (user '${config.users[1].name}') at an existing secret and redeploy the stack (nothing was sent to the broker)`,
      );
      expect(failure?.message).not.toContain('spryker-pw-1');
      expect(proxy.seen).toEqual([]);
    });

    test('a password secret scheduled for deletion is a ConfigurationError too', async () => {
      aws.secretsManager.scheduleDeletion(config.users[0].passwordSecret);
      const { failure } = await run();
      expect(failure?.type).toBe('ConfigurationError');
      expect(failure?.message).toContain(`${config.users[0].passwordSecret} (broker.users[0].passwordSecret (user '${config.users[0].name}')) does not exist or is scheduled for deletion`);
      expect(proxy.seen).toEqual([]);
    });

    test('the config parameter itself missing: ConfigurationError from SSM ParameterNotFound', async () => {
      const { failure } = await run({ params: { config: '/production/pipeline/nothing-here', endpoint: config.endpoint, allowInsecureEndpoint: true } });
      expect(failure?.type).toBe('ConfigurationError');
      expect(failure?.message).toContain('reading the broker config /production/pipeline/nothing-here (SSM) failed: ParameterNotFound');
      expect(proxy.seen).toEqual([]);
    });
  });

  describe('removeUndeclared and vhosts that hold messages', () => {
    test('refused before any write, naming the vhost and its queues with their counts; forced, it is deleted', async () => {
      const old = `${prefix}_old_queue`;
      await queueWithMessages(old, 'orders', 3);
      await queueWithMessages(old, 'empty', 0);
      config = { ...config, removeUndeclared: true };
      const refused = await run();
      expect(refused.failure).toEqual({
        type: 'JobFailed',
        message:
          `removeUndeclared would delete a vhost that holds messages, with them: vhost ${old}: queue orders (3 messages). Refused, nothing was written. ` +
          'Let the consumers drain the queues (or purge them), declare the vhost in broker.vhosts again to keep it, or set broker.forceRemoveVhostsWithMessages: true to delete it with its messages',
      });
      // The declared vhosts and users were planned too: not one of them was written.
      expect(proxy.writes()).toEqual([]);
      expect((await admin('GET', `/api/queues/${old}/orders`)).json.messages).toBe(3);
      expect(await timeline(refused.executionId)).toEqual([]);

      config = { ...config, forceRemoveVhostsWithMessages: true };
      const forced = await run();
      expect(forced.success?.executionDetails?.summary).toBe(`${proxy.url}: 2 vhosts created, 1 vhost deleted, 2 users created, 3 permissions created`);
      expect((await admin('GET', `/api/vhosts/${old}`)).status).toBe(404);
    });

    test('a vhost whose queues are all empty is deleted without force', async () => {
      const old = `${prefix}_old_queue`;
      await queueWithMessages(old, 'drained', 0);
      config = { ...config, removeUndeclared: true };
      const { success } = await run();
      expect(success?.executionDetails?.summary).toContain('1 vhost deleted');
      expect(proxy.seen.filter((r) => r.path === `/api/queues/${old}`)).toHaveLength(2); // at plan time, and right before the delete
      expect((await admin('GET', `/api/vhosts/${old}`)).status).toBe(404);
    });
  });

  describe('time', () => {
    test("a Lambda timeout below one request's worst case (3 × 10 s) still converges, in one invocation", async () => {
      // The reported run: 55 jobs in 15 s, 0 applied. Default API options: a worst case of 31.5 s per request.
      const { success, invocations } = await run({ lambdaMs: 15_000, api: {} });
      expect(success?.executionDetails?.summary).toBe(`${proxy.url}: 2 vhosts created, 2 users created, 3 permissions created`);
      expect(invocations).toBe(1);
      expect(proxy.writes()).toHaveLength(7);
    });

    test("a write whose answer outlives the invocation: handed back as unknown, checked by the next invocation, never rewritten", async () => {
      const spryker = config.users[0].name;
      // Forwarded to the broker (applied), answered after the invocation's request budget (12 s − 5 s reserve) is gone.
      proxy.on({ match: (m, p) => m === 'PUT' && p === `/api/users/${spryker}`, holdMs: 9000 });
      const { success, invocations, summaries, executionId } = await run({ lambdaMs: 12_000, api: {} });
      expect(invocations).toBe(2);
      // One window across both invocations: opened by the first, closed by the second.
      expect(await timeline(executionId)).toEqual([
        expect.objectContaining({ state: 'rabbitmqReconfiguring', startNote: '7 changes planned', endNote: 'done: 2 vhosts created, 2 users created, 3 permissions created' }),
      ]);
      expect(summaries[0]).toBe(`2 of 7 changes applied to ${proxy.url}, create user ${spryker}: outcome unknown (no time left for its answer), checked in the next invocation, continuing`);
      expect(success?.executionDetails?.summary).toBe(
        `${proxy.url}: 2 vhosts created, 2 users created, 3 permissions created; the answer to create user ${spryker} was lost in the previous invocation: it was applied`,
      );
      expect(proxy.writes().filter((w) => w.path === `/api/users/${spryker}`)).toHaveLength(1);
    });

    test('a write that timed out at its own timeout is reported as unknown, will be checked on retry; the re-run finds it applied', async () => {
      const [spryker] = config.users;
      const [de] = config.vhosts;
      proxy.on({ match: (m, p) => m === 'PUT' && p === `/api/permissions/${de}/${spryker.name}`, holdMs: 2500 });
      const { failure } = await run({ api: { timeoutMs: 1000, backoffMs: 10 } });
      expect(failure?.type).toBe('JobFailed');
      expect(failure?.message).toContain(`did not answer PUT /api/permissions/${de}/${spryker.name} within 1s`);
      expect(failure?.message).toContain(`Plan half-applied: 4 of 7 changes applied`);
      expect(failure?.message).toContain(`; outcome unknown, will be checked on retry: create permission ${spryker.name}@${de}; not applied: `);
      expect(failure?.message).not.toContain('failed: ');
      await sleep(2000);
      const rerun = await run();
      expect(rerun.success?.executionDetails?.summary).toBe(`${proxy.url}: 0 vhosts changed, 0 users changed, 2 permissions created`);
      expect(proxy.writes().map((w) => w.path)).not.toContain(`/api/permissions/${de}/${spryker.name}`);
    });
  });

  test('a half-applied plan is reported with what was and was not applied; the window ends with the failure; a re-run converges', async () => {
    const [spryker, reader] = config.users;
    const [de, at] = config.vhosts;
    // RabbitMQ refuses an invalid regex (HTTP 400): vhosts and users exist by then, two permissions are still to come.
    config = { ...config, users: [{ ...spryker, permissions: [{ ...full(de), read: '(' }, full(at)] }, reader] };
    const { failure, executionId } = await run();
    expect(failure?.type).toBe('JobFailed');
    expect(failure?.message).toContain(`answered HTTP 400 to PUT /api/permissions/${de}/${spryker.name}: {"error":"bad_request","reason":["invalid_regexp"`);
    expect(failure?.message).toContain(
      `Plan half-applied: 4 of 7 changes applied (vhost ${de} created, vhost ${at} created, user ${spryker.name} created, user ${reader.name} created); ` +
        `failed: create permission ${spryker.name}@${de}; not applied: create permission ${spryker.name}@${at}, create permission ${reader.name}@${de}. ` +
        'Re-run the stage once the cause is fixed',
    );
    expect(await timeline(executionId)).toEqual([expect.objectContaining({ state: 'rabbitmqReconfiguring', endNote: `failed: create permission ${spryker.name}@${de}` })]);
    expect((await admin('GET', `/api/vhosts/${de}`)).status).toBe(200);
    expect((await admin('GET', `/api/permissions/${at}/${spryker.name}`)).status).toBe(404);

    config = { ...config, users: [spryker, reader] };
    const { success } = await run();
    expect(success?.executionDetails?.summary).toBe(`${proxy.url}: 0 vhosts changed, 0 users changed, 3 permissions created`);
    expect((await run()).success?.executionDetails?.summary).toBe(`${proxy.url}: 0 vhosts changed, 0 users changed, 0 permissions changed`);
  });

  test('an error answer that echoes the request: no password, no credentials in the failure or the log', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    const spies = [jest.spyOn(console, 'log').mockImplementation(capture), jest.spyOn(console, 'error').mockImplementation(capture), jest.spyOn(console, 'warn').mockImplementation(capture)];
    const reader = config.users[1];
    // A proxy that refuses the request and quotes it back: the body (with the user's password) and the Authorization header.
    proxy.on({
      match: (m, p) => m === 'PUT' && p === `/api/users/${reader.name}`,
      answer: ({ headers, body }) => ({ status: 400, body: JSON.stringify({ error: 'rejected by proxy', request: JSON.parse(body), authorization: headers.authorization, raw: body, credentials: `${ADMIN.username}:${ADMIN.password}` }) }),
    });
    let failure: { message: string } | undefined;
    try {
      ({ failure } = await run());
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    expect(failure?.message).toContain(`answered HTTP 400 to PUT /api/users/${reader.name}: {"error":"rejected by proxy","request":{"password":[redacted]`);
    const basic = Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64');
    for (const text of [failure!.message, lines.join('\n')]) {
      expect(text).not.toMatch(/reader-pw-1|spryker-pw-1/);
      expect(text).not.toContain(basic);
      expect(text).not.toContain(`${ADMIN.username}:${ADMIN.password}`);
    }
  });

  test('no password reaches a log line', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    const spies = [jest.spyOn(console, 'log').mockImplementation(capture), jest.spyOn(console, 'error').mockImplementation(capture)];
    try {
      await run();
      aws.secretsManager.set(config.users[0].passwordSecret, 'spryker-pw-2');
      await run();
      aws.secretsManager.set(ADMIN_SECRET, JSON.stringify({ username: ADMIN.username, password: 'admin-pw-wrong' }));
      await run();
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    expect(lines.join('\n')).toContain(`update user ${config.users[0].name} (password)`);
    expect(lines.join('\n')).not.toMatch(/spryker-pw|reader-pw|admin-pw-wrong/);
  });

  test('a wrong admin password: PermissionError naming the endpoint and the user, nothing written', async () => {
    aws.secretsManager.set(ADMIN_SECRET, JSON.stringify({ username: ADMIN.username, password: 'wrong' }));
    const { failure } = await run();
    expect(failure?.type).toBe('PermissionError');
    expect(failure?.message).toContain(`RabbitMQ management API ${proxy.url} refused user '${ADMIN.username}' (HTTP 401)`);
    expect(failure?.message).not.toContain('wrong');
    expect(proxy.writes()).toEqual([]);
  });

  test('a closed port: a bounded failure naming the host', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    config = { ...config, endpoint: `http://127.0.0.1:${port}` };
    const { failure, ms } = await run();
    expect(ms).toBeLessThan(5000);
    expect(failure?.type).toBe('JobFailed');
    expect(failure?.message).toContain(`cannot reach RabbitMQ management API http://127.0.0.1:${port} for GET /api/`);
    expect(failure?.message).toContain('ECONNREFUSED');
  });

  describe('an https broker with a private CA (TLS on loopback, openssl-made CA)', () => {
    let tlsProxy: BrokerProxy;
    const certs = loopbackCertificates();
    beforeEach(async () => {
      tlsProxy = await new BrokerProxy(ENDPOINT).start({ key: certs.key, cert: certs.cert });
    });
    afterEach(() => tlsProxy.stop());

    test('with broker.caCertificate the handler trusts it and converges', async () => {
      config = { ...config, endpoint: tlsProxy.url, caCertificate: certs.caPem };
      const { success, failure } = await run({ params: { config: CONFIG, endpoint: tlsProxy.url } });
      expect(failure).toBeUndefined();
      expect(success?.executionDetails?.summary).toBe(`${tlsProxy.url}: 2 vhosts created, 2 users created, 3 permissions created`);
      expect(tlsProxy.writes()).toHaveLength(7);
    });

    test('without it (or with another CA): ConfigurationError that names the prop, nothing sent', async () => {
      config = { ...config, endpoint: tlsProxy.url };
      const without = await run({ params: { config: CONFIG, endpoint: tlsProxy.url } });
      expect(without.failure?.type).toBe('ConfigurationError');
      expect(without.failure?.message).toContain(`cannot reach RabbitMQ management API ${tlsProxy.url} for GET /api/`);
      expect(without.failure?.message).toContain("the broker's certificate is not trusted: set broker.caCertificate to the PEM of the CA that signed it");

      config = { ...config, caCertificate: loopbackCertificates().caPem };
      const other = await run({ params: { config: CONFIG, endpoint: tlsProxy.url } });
      expect(other.failure?.message).toContain('broker.caCertificate does not include the CA that signed it');
      expect(tlsProxy.seen).toEqual([]);
    });
  });
});
