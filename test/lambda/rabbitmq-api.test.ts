/** The management API client against real HTTP servers on loopback that answer as a broker might. */
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { ManagementApi, ManagementApiError, MIN_ATTEMPT_MS, redact, seg, type ManagementApiOptions } from '../../lambda/rabbitmq/api';
import { StepFailure } from '../../lambda/runtime/job';
import { loopbackCertificates } from '../integration/rabbitmq-proxy';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

/** A server that answers each request with the next scripted reply (the last one repeats). */
async function scripted(replies: { status: number; body?: string; delayMs?: number }[]) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      const reply = replies[Math.min(seen.length - 1, replies.length - 1)];
      const send = () => res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body ?? '');
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, endpoint, close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(replies: Parameters<typeof scripted>[0], options: Partial<Pick<ManagementApiOptions, 'timeoutMs' | 'budgetMs' | 'secrets'>> = {}) {
  const server = await scripted(replies);
  servers.push(server);
  const sleeps: number[] = [];
  const api = new ManagementApi({
    endpoint: `${server.endpoint}/`,
    username: 'admin',
    password: 'pä:ss',
    sleep: async (ms) => void sleeps.push(ms),
    ...options,
  });
  return { api, seen: server.seen, sleeps, endpoint: server.endpoint };
}

async function failure(p: Promise<unknown>): Promise<StepFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepFailure);
  return err as StepFailure;
}

test('sends basic auth and JSON, encodes the default vhost as %2F, strips a trailing slash', async () => {
  const { api, seen } = await setup([{ status: 204 }]);
  await api.put(`/api/permissions/${seg('/')}/${seg('app user')}`, { configure: '.*', write: '.*', read: '.*' });
  expect(seen).toEqual([
    {
      method: 'PUT',
      url: '/api/permissions/%2F/app%20user',
      authorization: `Basic ${Buffer.from('admin:pä:ss', 'utf8').toString('base64')}`,
      body: '{"configure":".*","write":".*","read":".*"}',
    },
  ]);
});

test('a 5xx is retried with doubling backoff, then succeeds', async () => {
  const { api, seen, sleeps } = await setup([{ status: 503 }, { status: 500 }, { status: 200, body: '[{"name":"/"}]' }]);
  await expect(api.get('/api/vhosts')).resolves.toEqual([{ name: '/' }]);
  expect(seen).toHaveLength(3);
  expect(sleeps).toEqual([500, 1000]);
});

test('a 5xx that persists fails after 3 attempts with the response body', async () => {
  const { api, seen, endpoint } = await setup([{ status: 503, body: '{"error":"node_down","reason":"rabbit@b-1 is booting"}' }]);
  const err = await failure(api.put('/api/vhosts/de_queue', {}));
  expect(seen).toHaveLength(3);
  expect(err.failureType).toBe('JobFailed');
  expect(err.message).toBe(
    `RabbitMQ management API ${endpoint} answered HTTP 503 to PUT /api/vhosts/de_queue 3 times: {"error":"node_down","reason":"rabbit@b-1 is booting"}`,
  );
});

test('401 and 403 are a PermissionError naming the endpoint and the user, not retried', async () => {
  for (const status of [401, 403]) {
    const { api, seen, endpoint } = await setup([{ status, body: '{"error":"not_authorized"}' }]);
    const err = await failure(api.get('/api/users'));
    expect(seen).toHaveLength(1);
    expect(err.failureType).toBe('PermissionError');
    expect(err.message).toContain(`RabbitMQ management API ${endpoint} refused user 'admin' (HTTP ${status}) for GET /api/users`);
    expect(err.message).not.toContain('pä:ss');
  }
});

test('another 4xx fails at once with the body; a DELETE of something already gone is done', async () => {
  const { api, seen } = await setup([
    { status: 400, body: '{"error":"bad_request","reason":"vhost_or_user_not_found"}' },
    { status: 404, body: '{"error":"Object Not Found","reason":"Not Found"}' },
  ]);
  const err = await failure(api.put('/api/permissions/x/y', {}));
  expect(err.message).toContain('HTTP 400 to PUT /api/permissions/x/y: {"error":"bad_request","reason":"vhost_or_user_not_found"}');
  await expect(api.delete('/api/users/gone')).resolves.toBeUndefined();
  expect(seen).toHaveLength(2);
});

test('a slow broker fails within the timeout, naming the host', async () => {
  const { api, endpoint } = await setup([{ status: 200, body: '[]', delayMs: 5000 }], { timeoutMs: 300 });
  const started = Date.now();
  const err = await failure(api.get('/api/vhosts'));
  expect(Date.now() - started).toBeLessThan(2000);
  expect(err.message).toBe(
    `RabbitMQ management API ${endpoint} did not answer GET /api/vhosts within 0.3s: check that the broker is running and that this handler can reach ${endpoint} (endpoint, VPC subnets, security group)`,
  );
});

test('an answer that is not JSON (a proxy page, a wrong endpoint) fails clearly', async () => {
  const { api } = await setup([{ status: 200, body: '<html>login</html>' }]);
  const err = await failure(api.get('/api/vhosts'));
  expect(err.message).toContain('answered GET /api/vhosts with something other than JSON (is the endpoint the management API?): <html>login</html>');
});

test('an endpoint that is not a URL is a ConfigurationError', () => {
  expect(() => new ManagementApi({ endpoint: 'b-1.mq.eu-central-1.amazonaws.com', username: 'a', password: 'b' })).toThrow(
    expect.objectContaining({ failureType: 'ConfigurationError', message: expect.stringContaining("broker endpoint 'b-1.mq.eu-central-1.amazonaws.com' is not a URL") }),
  );
});

test('the worst case of one request when no budget shortens it: attempts, timeouts and backoff', () => {
  const api = new ManagementApi({ endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com', username: 'a', password: 'b' });
  expect(api.origin).toBe('https://b-1.mq.eu-central-1.amazonaws.com');
  expect(api.worstCaseMs).toBe(3 * 10_000 + 500 + 1000);
});

describe('the time budget', () => {
  test("an attempt's timeout shrinks to the budget: cut short, outcome unknown", async () => {
    const { api } = await setup([{ status: 204, delayMs: 5000 }], { timeoutMs: 10_000, budgetMs: () => 800 });
    const started = Date.now();
    const err = (await failure(api.put('/api/vhosts/de_queue', {}))) as ManagementApiError;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(ManagementApiError);
    expect(err).toMatchObject({ outcome: 'unknown', cutShort: true });
    expect(err.message).toContain("did not answer PUT /api/vhosts/de_queue within 0.8s (all the invocation's time left)");
  });

  test('a timeout at its own limit is unknown but not cut short (the broker had its time)', async () => {
    const { api } = await setup([{ status: 204, delayMs: 5000 }], { timeoutMs: 300, budgetMs: () => 60_000 });
    expect(await failure(api.put('/api/vhosts/de_queue', {}))).toMatchObject({ outcome: 'unknown', cutShort: false });
  });

  test('no attempt starts without MIN_ATTEMPT_MS of budget: not sent', async () => {
    const { api, seen } = await setup([{ status: 204 }], { budgetMs: () => MIN_ATTEMPT_MS - 1 });
    expect(await failure(api.put('/api/vhosts/de_queue', {}))).toMatchObject({ outcome: 'not-sent', cutShort: true });
    expect(seen).toEqual([]);
  });

  test('a 5xx is not retried when the budget cannot hold the backoff and another attempt', async () => {
    let budget = 60_000;
    const { api, seen, sleeps } = await setup([{ status: 503 }, { status: 503 }, { status: 204 }], { budgetMs: () => budget });
    budget = 900; // 500 ms backoff + 500 ms attempt do not fit
    const err = await failure(api.put('/api/vhosts/de_queue', {}));
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(err).toMatchObject({ outcome: 'refused' });
    expect(err.message).toContain('answered HTTP 503 to PUT /api/vhosts/de_queue: ');
  });

  test('refused and unreachable requests say so: a write that never reached the broker is not unknown', async () => {
    const { api } = await setup([{ status: 400, body: '{"error":"bad_request"}' }]);
    expect(await failure(api.put('/api/permissions/x/y', {}))).toMatchObject({ outcome: 'refused' });
    const closed = new ManagementApi({ endpoint: 'http://127.0.0.1:9', username: 'a', password: 'b' });
    expect(await failure(closed.put('/api/vhosts/x', {}))).toMatchObject({ outcome: 'not-sent', failureType: 'JobFailed' });
    closed.close();
  });
});

describe('redaction', () => {
  test('secrets as is, JSON-escaped and URL-encoded; password fields; Authorization values', () => {
    const text = [
      'pw="s3cr\\"et" plain s3cr"et url s3cr%22et',
      '{"password":"other-one","tags":""} {\'password\': \'py-style\'} password=form&x=1 "password_hash":"abcd"',
      'Authorization: Basic YWRtaW46cHc= Bearer eyJhbGciOi.x.y',
    ].join(' | ');
    const out = redact(text, ['s3cr"et']);
    expect(out).not.toMatch(/s3cr|other-one|py-style|form&|abcd|YWRtaW46cHc|eyJhbGciOi/);
    expect(out).toContain('plain [redacted] url [redacted]');
    expect(out).toContain('"password":[redacted],"tags":""');
    expect(out).toContain('password=[redacted]&x=1');
    expect(out).toContain('Basic [redacted] Bearer [redacted]');
  });

  test("an error answer that echoes the request: the body's password, the users' secrets and the admin's credentials are gone", async () => {
    const basic = Buffer.from('admin:pä:ss', 'utf8').toString('base64');
    const echo = JSON.stringify({ error: 'proxy', body: { password: 'user-pw', tags: '' }, headers: { authorization: `Basic ${basic}` }, note: 'user-pw and pä:ss and admin:pä:ss' });
    const { api } = await setup([{ status: 400, body: echo }], { secrets: ['user-pw'] });
    const err = await failure(api.put('/api/users/app', { password: 'user-pw', tags: '' }));
    expect(err.message).not.toMatch(/user-pw|pä:ss/);
    expect(err.message).not.toContain(basic);
    expect(err.message).toContain('{"error":"proxy","body":{"password":[redacted],"tags":""}');
  });

  test('redacted before clipping: a long body cut at 500 characters leaves no half secret', async () => {
    const secret = 'abcdefghij'.repeat(3);
    const body = `${'x'.repeat(490)}${secret}`;
    const { api } = await setup([{ status: 400, body }], { secrets: [secret] });
    const err = await failure(api.put('/api/users/app', {}));
    expect(err.message).not.toContain('abcdefghij');
    expect(err.message).toContain(`${'x'.repeat(10)}[redacted]`);
  });
});

describe('https with a private CA (a TLS server on loopback, openssl-made CA)', () => {
  const certs = loopbackCertificates();
  let server: https.Server;
  let endpoint = '';
  beforeAll(async () => {
    server = https.createServer({ key: certs.key, cert: certs.cert }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[{"name":"/"}]'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('caCertificate: the https agent trusts it', async () => {
    const api = new ManagementApi({ endpoint, username: 'a', password: 'b', caCertificate: certs.caPem });
    await expect(api.get('/api/vhosts')).resolves.toEqual([{ name: '/' }]);
    api.close();
  });

  test("without it: a ConfigurationError that names broker.caCertificate, nothing sent", async () => {
    const api = new ManagementApi({ endpoint, username: 'a', password: 'b' });
    const err = await failure(api.get('/api/vhosts'));
    expect(err).toMatchObject({ failureType: 'ConfigurationError', outcome: 'not-sent' });
    expect(err.message).toBe(`cannot reach RabbitMQ management API ${endpoint} for GET /api/vhosts (UNABLE_TO_VERIFY_LEAF_SIGNATURE): the broker's certificate is not trusted: set broker.caCertificate to the PEM of the CA that signed it`);
    api.close();
  });
});

test('a kept-alive connection closed by the broker as the next request goes out: sent once more on a new one', async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    // The second request arrives on the first one's connection: dropped without an answer, as an idle timeout would.
    if (seen.length === 2) return void req.socket.destroy();
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) });
  const api = new ManagementApi({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, username: 'a', password: 'b' });
  await api.put('/api/vhosts/a', {});
  await expect(api.put('/api/vhosts/b', {})).resolves.toBeUndefined();
  expect(seen).toEqual(['PUT /api/vhosts/a', 'PUT /api/vhosts/b', 'PUT /api/vhosts/b']);
  api.close();
});
