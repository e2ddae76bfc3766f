/**
 * Configure_RabbitMQ_Vhosts_and_Permissions against a real RabbitMQ (scripts/rabbitmq.sh starts
 * one on 127.0.0.1:15672). The whole handler runs: defineStep, SSM and Secrets Manager (mocked:
 * we have no AWS), the plan, and every request to the broker. Names are unique per test and
 * removed afterwards.
 */
import { spawnSync } from 'child_process';
import * as net from 'net';
import { CodePipelineClient, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { rabbitMqStep } from '../../lambda/rabbitmq';
import type { BrokerConfig, DesiredUser } from '../../lambda/rabbitmq/config';
import { decodeToken, defineStep } from '../../lambda/runtime/job';
import { mockedRuntime } from '../fakes/mock-runtime';

const ENDPOINT = process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://127.0.0.1:15672';
const ADMIN = { username: process.env.RABBITMQ_ADMIN_USER ?? 'guest', password: process.env.RABBITMQ_ADMIN_PASSWORD ?? 'guest' };

/** Synchronous, so that the suite can be skipped (not passed) when there is no broker. */
function brokerAnswers(): boolean {
  const probe = `fetch(${JSON.stringify(`${ENDPOINT}/api/overview`)}, { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 5000 }).status === 0;
}

const inCi = process.env.CI === 'true';
const available = brokerAnswers();
if (!available && !inCi) {
  console.warn(
    `RabbitMQ integration tests SKIPPED: no management API at ${ENDPOINT}. ` +
      'Run `bash scripts/rabbitmq.sh install && bash scripts/rabbitmq.sh start` (root or sudo) to run them.',
  );
}
const suite = available || inCi ? describe : describe.skip;

const CONFIG = '/it/pipeline/rabbitmq';
const ADMIN_SECRET = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:it/broker/admin';
const ssm = mockClient(SSMClient);
const secretsManager = mockClient(SecretsManagerClient);
const codepipeline = mockClient(CodePipelineClient);

/** The management API as the test sees it (guest), to set up and verify. */
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
let secrets: Record<string, string> = {};
let config: BrokerConfig;
/** Every request the handler sent to the broker. */
let requests: { method: string; path: string }[] = [];

const user = (name: string, permissions: DesiredUser['permissions'], tags: string[] = []): DesiredUser => ({
  name: `${prefix}_${name}`,
  passwordSecret: `arn:aws:secretsmanager:eu-central-1:123456789012:secret:it/broker/${name}`,
  tags,
  permissions,
});
const full = (vhost: string) => ({ vhost, configure: '.*', write: '.*', read: '.*' });
const writes = () => requests.filter((r) => r.method !== 'GET');

suite('Configure_RabbitMQ_Vhosts_and_Permissions against RabbitMQ', () => {
  let fetchSpy: jest.SpyInstance;

  beforeAll(() => {
    if (!available) {
      throw new Error(`CI=true but no RabbitMQ management API answers at ${ENDPOINT}: .ci/run must run 'bash scripts/rabbitmq.sh install' and 'start' first`);
    }
  });

  beforeEach(() => {
    prefix = `it${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const de = `${prefix}_de_queue`;
    const at = `${prefix}_at_queue`;
    config = {
      v: 1,
      endpoint: ENDPOINT,
      adminSecret: ADMIN_SECRET,
      vhosts: [de, at],
      users: [user('spryker', [full(de), full(at)], ['management']), user('reader', [{ vhost: de, configure: '^$', write: '^$', read: '.*' }])],
      removeUndeclared: false,
    };
    secrets = {
      [ADMIN_SECRET]: JSON.stringify(ADMIN),
      [config.users[0].passwordSecret]: JSON.stringify({ password: 'spryker-pw-1' }),
      [config.users[1].passwordSecret]: 'reader-pw-1',
    };
    ssm.reset();
    secretsManager.reset();
    codepipeline.reset();
    ssm.on(GetParameterCommand, { Name: CONFIG }).callsFake(async () => ({ Parameter: { Name: CONFIG, Value: JSON.stringify(config) } }));
    secretsManager.on(GetSecretValueCommand).callsFake(async ({ SecretId }) => {
      if (!(SecretId in secrets)) throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });
      return { SecretString: secrets[SecretId] };
    });
    requests = [];
    const realFetch = globalThis.fetch;
    fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      requests.push({ method: init?.method ?? 'GET', path: new URL(String(input)).pathname });
      return realFetch(input, init);
    });
  });

  afterEach(async () => {
    fetchSpy.mockRestore();
    const vhosts: { name: string }[] = (await admin('GET', '/api/vhosts?columns=name')).json;
    const users: { name: string }[] = (await admin('GET', '/api/users?columns=name')).json;
    for (const v of vhosts.filter((v) => v.name.startsWith(prefix))) await admin('DELETE', `/api/vhosts/${encodeURIComponent(v.name)}`);
    for (const u of users.filter((u) => u.name.startsWith(prefix))) await admin('DELETE', `/api/users/${encodeURIComponent(u.name)}`);
  });

  /** One job, through the real Lambda handler; `remaining` plays the Lambda clock. */
  async function runJob(options: { remaining?: () => number; continuationToken?: string } = {}) {
    const runtime = mockedRuntime(codepipeline);
    const handler = defineStep(rabbitMqStep({ api: { timeoutMs: 2000, backoffMs: 10 } }), runtime.deps);
    codepipeline.reset();
    requests = [];
    const started = Date.now();
    await handler(runtime.event({ params: { config: CONFIG }, continuationToken: options.continuationToken }), {
      getRemainingTimeInMillis: options.remaining ?? (() => 300_000),
    });
    const success = codepipeline.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input;
    const failure = codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input.failureDetails;
    return { success, failure, ms: Date.now() - started };
  }

  test('a fresh broker: every vhost, user and permission is created, as the API then shows', async () => {
    const { success, failure } = await runJob();
    expect(failure).toBeUndefined();
    expect(success?.executionDetails?.summary).toBe(`${ENDPOINT}: 2 vhosts created, 2 users created, 3 permissions created`);
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
    const order = writes().map((r) => r.path.split('/')[2]);
    expect(order).toEqual(['vhosts', 'vhosts', 'users', 'users', 'permissions', 'permissions', 'permissions']);
  });

  test('a second run: an empty plan and no write request', async () => {
    await runJob();
    const { success } = await runJob();
    expect(success?.executionDetails?.summary).toBe(`${ENDPOINT}: 0 vhosts changed, 0 users changed, 0 permissions changed`);
    expect(requests.length).toBe(3);
    expect(writes()).toEqual([]);
  });

  test('a changed permission: exactly one update', async () => {
    await runJob();
    const [spryker, reader] = config.users;
    config = { ...config, users: [spryker, { ...reader, permissions: [{ ...reader.permissions[0], read: `^${prefix}\\.` }] }] };
    const { success } = await runJob();
    expect(success?.executionDetails?.summary).toBe(`${ENDPOINT}: 0 vhosts changed, 0 users changed, 1 permission updated`);
    expect(writes()).toEqual([{ method: 'PUT', path: `/api/permissions/${config.vhosts[0]}/${reader.name}` }]);
    expect((await admin('GET', `/api/permissions/${config.vhosts[0]}/${reader.name}`)).json.read).toBe(`^${prefix}\\.`);
  });

  test('a changed password: the user is rewritten once and logs in with the new one only', async () => {
    await runJob();
    const spryker = config.users[0];
    secrets[spryker.passwordSecret] = JSON.stringify({ password: 'spryker-pw-2' });
    const { success } = await runJob();
    expect(success?.executionDetails?.summary).toBe(`${ENDPOINT}: 0 vhosts changed, 1 user updated, 0 permissions changed`);
    expect(writes()).toEqual([{ method: 'PUT', path: `/api/users/${spryker.name}` }]);
    expect((await admin('GET', '/api/whoami', undefined, { username: spryker.name, password: 'spryker-pw-2' })).status).toBe(200);
    expect((await admin('GET', '/api/whoami', undefined, { username: spryker.name, password: 'spryker-pw-1' })).status).toBe(401);
    expect((await runJob()).success?.executionDetails?.summary).toContain('0 users changed');
  });

  test('undeclared vhosts and users stay, unless removal is opted in; the admin and / always stay', async () => {
    await admin('PUT', `/api/vhosts/${prefix}_old_queue`, {});
    await admin('PUT', `/api/users/${prefix}_legacy`, { password: 'legacy-pw', tags: '' });
    await runJob();
    expect((await admin('GET', `/api/vhosts/${prefix}_old_queue`)).status).toBe(200);
    expect((await admin('GET', `/api/users/${prefix}_legacy`)).status).toBe(200);

    config = { ...config, removeUndeclared: true };
    const { success, failure } = await runJob();
    expect(failure).toBeUndefined();
    expect(success?.executionDetails?.summary).toMatch(/1 vhost deleted.*1 user deleted/);
    expect(writes()).toEqual(
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

  test('a half-applied plan is reported with what was and was not applied; a re-run converges', async () => {
    const [spryker, reader] = config.users;
    const [de, at] = config.vhosts;
    // RabbitMQ refuses an invalid regex (HTTP 400): vhosts and users exist by then, two permissions are still to come.
    config = { ...config, users: [{ ...spryker, permissions: [{ ...full(de), read: '(' }, full(at)] }, reader] };
    const { failure } = await runJob();
    expect(failure?.type).toBe('JobFailed');
    expect(failure?.message).toContain(`answered HTTP 400 to PUT /api/permissions/${de}/${spryker.name}: {"error":"bad_request","reason":["invalid_regexp"`);
    expect(failure?.message).toContain(
      `Plan half-applied: 4 of 7 changes applied (vhost ${de} created, vhost ${at} created, user ${spryker.name} created, user ${reader.name} created); ` +
        `failed: create permission ${spryker.name}@${de}; not applied: create permission ${spryker.name}@${at}, create permission ${reader.name}@${de}. ` +
        'Re-run the stage once the cause is fixed',
    );
    expect((await admin('GET', `/api/vhosts/${de}`)).status).toBe(200);
    expect((await admin('GET', `/api/permissions/${at}/${spryker.name}`)).status).toBe(404);

    config = { ...config, users: [spryker, reader] };
    const { success } = await runJob();
    expect(success?.executionDetails?.summary).toBe(`${ENDPOINT}: 0 vhosts changed, 0 users changed, 3 permissions created`);
    expect((await runJob()).success?.executionDetails?.summary).toBe(`${ENDPOINT}: 0 vhosts changed, 0 users changed, 0 permissions changed`);
  });

  test('no password reaches a log line', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    const log = jest.spyOn(console, 'log').mockImplementation(capture);
    const error = jest.spyOn(console, 'error').mockImplementation(capture);
    try {
      await runJob();
      secrets[config.users[0].passwordSecret] = 'spryker-pw-2';
      await runJob();
      secrets[ADMIN_SECRET] = JSON.stringify({ username: ADMIN.username, password: 'admin-pw-wrong' });
      await runJob();
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    expect(lines.join('\n')).toContain(`update user ${config.users[0].name} (password)`);
    expect(lines.join('\n')).not.toMatch(/spryker-pw|reader-pw|admin-pw-wrong/);
  });

  test('a plan that outlives the invocation continues in the next one and is summed up at the end', async () => {
    // the exactly-once lock's expiry, the start check, then one check per change: time runs low before the third change.
    const clock = [300_000, 300_000, 300_000, 300_000, 1_000];
    const first = await runJob({ remaining: () => clock.shift() ?? 1_000 });
    expect(first.success?.continuationToken).toBeDefined();
    expect(first.success?.executionDetails?.summary).toBe(`2 of 7 changes applied to ${ENDPOINT}, continuing`);
    expect(writes()).toHaveLength(2);
    expect(decodeToken(first.success!.continuationToken!)).toEqual({ applied: { 'vhost:create': 2 } });
    const second = await runJob({ continuationToken: first.success!.continuationToken });
    expect(second.success?.continuationToken).toBeUndefined();
    expect(second.success?.executionDetails?.summary).toBe(`${ENDPOINT}: 2 vhosts created, 2 users created, 3 permissions created`);
    expect(writes()).toHaveLength(5);
  });

  test('a wrong admin password: PermissionError naming the endpoint and the user, nothing written', async () => {
    secrets[ADMIN_SECRET] = JSON.stringify({ username: ADMIN.username, password: 'wrong' });
    const { failure } = await runJob();
    expect(failure?.type).toBe('PermissionError');
    expect(failure?.message).toContain(`RabbitMQ management API ${ENDPOINT} refused user '${ADMIN.username}' (HTTP 401)`);
    expect(failure?.message).not.toContain('wrong');
    expect(writes()).toEqual([]);
  });

  test('a closed port: a bounded failure naming the host', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    config = { ...config, endpoint: `http://127.0.0.1:${port}` };
    const { failure, ms } = await runJob();
    expect(ms).toBeLessThan(5000);
    expect(failure?.type).toBe('JobFailed');
    expect(failure?.message).toContain(`cannot reach RabbitMQ management API http://127.0.0.1:${port} for GET /api/`);
    expect(failure?.message).toContain('ECONNREFUSED');
  });

  test('a missing password secret fails before anything is written, naming the secret and not a value', async () => {
    delete secrets[config.users[1].passwordSecret];
    const { failure } = await runJob();
    expect(failure?.message).toContain(`reading the broker user password secret ${config.users[1].passwordSecret} failed: ResourceNotFoundException`);
    expect(failure?.message).not.toContain('spryker-pw-1');
    expect(requests).toEqual([]);
  });
});
