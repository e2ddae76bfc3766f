/**
 * The simulator's parts: the names it hard-codes equal the library's (the rehearsal bundle must
 * not pull in aws-cdk-lib), it provides every SDK module a handler bundle requires, the simulated
 * RabbitMQ answers as RabbitMQ does, and a seed gives the same rehearsal every time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { passwordMatches } from '../../lambda/rabbitmq/plan';
import { ssmPaths } from '../../lib/deployment';
import { KEPT_TAG_PREFIX as LIB_KEPT_TAG_PREFIX, repositoryName } from '../../lib/images';
import { releaseTableName } from '../../lib/release-history';
import { maintenanceConfigPath } from '../../lib/maintenance';
import { ConfigureRabbitMqStage } from '../../lib/stages/configure-rabbitmq';
import { FakeRabbitMq } from '../../sim/rabbitmq';
import { rehearse } from '../../sim/rehearse';
import { SDK_MODULES } from '../../sim/sdk';
import { applicationNames, KEPT_TAG_PREFIX, PATHS, RELEASE_TABLE, repositoryOf } from '../../sim/shop';

const HANDLERS = path.join(__dirname, '..', '..', 'dist', 'handlers');

test("the shop's names are the library's", () => {
  const lib = ssmPaths('production');
  expect(PATHS).toEqual({ model: lib.model, desiredVersion: lib.desiredVersion, lastDeployedVersion: lib.lastDeployedVersion, broker: ConfigureRabbitMqStage.configParameterName('production'), maintenance: maintenanceConfigPath('production') });
  expect(RELEASE_TABLE).toBe(releaseTableName('production'));
  expect(repositoryOf('yves')).toBe(repositoryName('production', 'yves'));
  expect(KEPT_TAG_PREFIX).toBe(LIB_KEPT_TAG_PREFIX);
  expect(applicationNames(11)).toEqual(['zed', 'yves', 'glue', 'glue-storefront', 'glue-backend', 'backoffice', 'backend-gateway', 'merchant-portal', 'frontend', 'app-10', 'app-11']);
});

test('the rehearsal provides every AWS SDK module a handler bundle requires (globalSetup built them)', () => {
  const required = new Set<string>();
  for (const name of fs.readdirSync(HANDLERS)) {
    const source = fs.readFileSync(path.join(HANDLERS, name, 'index.js'), 'utf8');
    for (const m of source.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)) required.add(m[1]);
  }
  expect(required.size).toBeGreaterThan(5);
  expect([...required].filter((m) => !(m in SDK_MODULES))).toEqual([]);
});

describe('simulated RabbitMQ management API', () => {
  const clock = { now: 1_000_000 };
  const admin = { username: 'admin', password: 's3cret' };
  let rabbit: FakeRabbitMq;
  const auth = { authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}`, 'content-type': 'application/json' };
  const req = (method: string, p: string, body?: unknown, headers: Record<string, string> = auth) => fetch(rabbit.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeEach(async () => {
    rabbit = await new FakeRabbitMq(clock, admin).start();
  });
  afterEach(() => rabbit.stop());

  test('refuses a request without the admin credentials', async () => {
    expect((await req('GET', '/api/vhosts', undefined, {})).status).toBe(401);
    expect((await req('GET', '/api/vhosts', undefined, { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` })).status).toBe(401);
  });

  test("vhosts, users with RabbitMQ's password hash, permissions; 404 for what is not there", async () => {
    expect((await req('PUT', '/api/vhosts/eu-docker', {})).status).toBe(201);
    expect((await req('PUT', '/api/users/spryker', { password: 'pw', tags: 'monitoring' })).status).toBe(201);
    expect((await req('PUT', '/api/permissions/eu-docker/spryker', { configure: '.*', write: '.*', read: '.*' })).status).toBe(201);
    expect((await req('PUT', '/api/permissions/nowhere/spryker', { configure: '.*', write: '.*', read: '.*' })).status).toBe(400);
    const users = (await (await req('GET', '/api/users?columns=name,password_hash,hashing_algorithm,tags')).json()) as { name: string; password_hash: string; hashing_algorithm: string; tags: string[] }[];
    const spryker = users.find((u) => u.name === 'spryker')!;
    expect(spryker.tags).toEqual(['monitoring']);
    // The handler's own check (plan.ts) recognizes the password: an unchanged user is not rewritten.
    expect(passwordMatches(spryker, 'pw')).toBe(true);
    expect(passwordMatches(spryker, 'other')).toBe(false);
    expect(await (await req('GET', '/api/permissions')).json()).toEqual([{ user: 'spryker', vhost: 'eu-docker', configure: '.*', write: '.*', read: '.*' }]);
    expect((await req('DELETE', '/api/vhosts/eu-docker')).status).toBe(204);
    expect(await (await req('GET', '/api/permissions')).json()).toEqual([]);
    expect((await req('DELETE', '/api/vhosts/eu-docker')).status).toBe(404);
    expect((await req('GET', '/api/queues/eu-docker')).status).toBe(404);
    // The default vhost travels as %2F.
    expect((await req('GET', '/api/queues/%2F')).status).toBe(200);
  });

  test('queues drain steadily over the simulated clock; an error queue never does', async () => {
    rabbit.vhosts.add('eu-docker');
    rabbit.fill('eu-docker', 'sync.storage.product', 400, 60_000);
    rabbit.fill('eu-docker', 'sync.storage.product.error', 3, Infinity);
    const depths = async () => Object.fromEntries(((await (await req('GET', '/api/queues/eu-docker?columns=name,messages,messages_unacknowledged')).json()) as { name: string; messages: number }[]).map((q) => [q.name, q.messages]));
    expect(await depths()).toEqual({ 'sync.storage.product': 400, 'sync.storage.product.error': 3 });
    clock.now += 30_000;
    expect(await depths()).toEqual({ 'sync.storage.product': 200, 'sync.storage.product.error': 3 });
    clock.now += 30_000;
    expect(await depths()).toEqual({ 'sync.storage.product': 0, 'sync.storage.product.error': 3 });
  });
});

test('a seed gives the same rehearsal; another seed other rollout times', async () => {
  const run = (seed: number) => rehearse({ handlersDir: HANDLERS, services: 3, seed });
  const [a, b] = [await run(3), await run(3)];
  expect(a.report.stages.map((s) => s.outcome)).toEqual(Array(12).fill('Succeeded'));
  expect(b.report).toEqual(a.report);
  const c = await run(4);
  expect(c.rolloutMs).not.toEqual(a.rolloutMs);
  // ±15 % around the default 120 s.
  for (const ms of Object.values(c.rolloutMs)) expect(ms).toBeGreaterThanOrEqual(102_000);
  expect(Math.max(...Object.values(c.rolloutMs))).toBeLessThanOrEqual(138_000);
  // The environment the handlers ran in is gone again.
  expect(process.env.AWS_ENDPOINT_URL).toBeUndefined();
}, 60_000);
