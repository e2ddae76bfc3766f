/** The management API client against real HTTP servers on loopback that answer as a broker might. */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { ManagementApi, seg } from '../../lambda/rabbitmq/api';
import { StepFailure } from '../../lambda/runtime/job';

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

async function setup(replies: Parameters<typeof scripted>[0], options: { timeoutMs?: number } = {}) {
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

test('the worst case of one request bounds the time the handler keeps in reserve', () => {
  const api = new ManagementApi({ endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com', username: 'a', password: 'b' });
  expect(api.origin).toBe('https://b-1.mq.eu-central-1.amazonaws.com');
  expect(api.worstCaseMs).toBe(3 * 10_000 + 500 + 1000);
});
