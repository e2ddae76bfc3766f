/** Sync_catch_up without a broker: bad parameters and an unreachable broker (the fake's clock runs the bounded retries). */
import * as net from 'net';
import { DEFAULT_IGNORED_QUEUES, DEFAULT_SYNC_QUEUES, type SyncCatchUpParams } from '../../lib/contracts/sync-catch-up';
import { defineStep } from '../../lambda/runtime/job';
import { syncCatchUpStep } from '../../lambda/sync-catch-up';
import { type FakeAws } from '../fakes/aws';
import { useFakeAws } from '../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const CONFIG = '/production/pipeline/rabbitmq';
const ADMIN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:broker/admin';

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function brokerAt(endpoint: string): Promise<SyncCatchUpParams> {
  aws.ssm.set(CONFIG, JSON.stringify({ v: 1, endpoint, adminSecret: ADMIN, vhosts: ['de_queue'], users: [], removeUndeclared: false }));
  aws.secretsManager.set(ADMIN, JSON.stringify({ username: 'admin', password: 'admin-pw' }));
  return { config: CONFIG, endpoint, allowInsecureEndpoint: true, queues: [...DEFAULT_SYNC_QUEUES], ignore: [...DEFAULT_IGNORED_QUEUES], settleSeconds: 30, timeoutMinutes: 30, mode: 'await', onTimeout: 'fail' };
}

const run = (params: unknown, id: string) => aws.runJob(defineStep(syncCatchUpStep({ api: { timeoutMs: 500, attempts: 1 } }), aws.deps()), { id, params }, { lambdaMs: 120_000 });

test('UserParameters that are not the contract: a ConfigurationError naming every field, nothing read', async () => {
  const { report } = await run({ config: CONFIG, queues: [], settleSeconds: -1, mode: 'wait' }, 'job-bad');
  expect(report.kind).toBe('failure');
  expect(report.body.failureDetails.type).toBe('ConfigurationError');
  const message: string = report.body.failureDetails.message;
  expect(message).toMatch(/^sync-catch-up: invalid UserParameters: /);
  for (const field of ['endpoint', 'queues', 'ignore', 'settleSeconds', 'timeoutMinutes', 'mode', 'onTimeout']) expect(message).toContain(`${field}: `);
  expect(message).toMatch(/: redeploy the pipeline stack$/);
  expect(aws.calls('SSM.GetParameter')).toHaveLength(0);
});

test('an unreachable broker: reads are retried for 5 minutes, then the stage fails naming the host; measuring only warns', async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const params = await brokerAt(endpoint);
  const { report } = await run(params, 'job-unreachable');
  expect(report.kind).toBe('failure');
  expect(report.body.failureDetails.message).toMatch(/^reads kept failing for 30\d s \(the limit is 300 s\); the last: cannot reach RabbitMQ management API http:\/\/127\.0\.0\.1:\d+ for GET \/api\/queues\/de_queue\?columns=name,messages,messages_unacknowledged \(ECONNREFUSED\)/);
  const measured = await run({ ...params, mode: 'measure' }, 'job-unreachable-measure');
  expect(measured.report.kind).toBe('success');
  expect(measured.report.body.executionDetails.summary).toMatch(/^WARNING \(measure only\): the sync catch-up was not measured: reads kept failing/);
});

test('an admin secret that is not {"username","password"}: ConfigurationError without its value, no request', async () => {
  const params = await brokerAt(`http://127.0.0.1:${await closedPort()}`);
  aws.secretsManager.set(ADMIN, 'just-a-password');
  const fetchSpy = jest.spyOn(globalThis, 'fetch');
  const { report } = await run(params, 'job-secret');
  expect(fetchSpy).not.toHaveBeenCalled();
  fetchSpy.mockRestore();
  expect(report.body.failureDetails).toEqual({ type: 'ConfigurationError', message: `the broker admin secret ${ADMIN} must be JSON {"username": "...", "password": "..."} with both set` });
});
