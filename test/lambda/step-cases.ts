/**
 * Every step handler on the stateful fake, each with a job that makes it act and a count of its
 * side effects (the calls that change something), for the runtime's cross-step scenarios:
 * concurrent duplicate deliveries (exactly-once.test.ts) and forged jobs (forged-jobs.test.ts).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CodePipelineEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { step as deploy } from '../../lambda/deploy';
import { step as maintenance } from '../../lambda/maintenance-mode';
import { step as post } from '../../lambda/post-deployment-configuration';
import { step as prepare } from '../../lambda/pre-deployment-configuration';
import { createHandler as prepareVersion } from '../../lambda/prepare-version';
import { rabbitMqStep } from '../../lambda/rabbitmq';
import { step as runHook } from '../../lambda/run-hook';
import { defineStep } from '../../lambda/runtime/job';
import { step as update } from '../../lambda/update-deployed-version';
import { step as warmUp } from '../../lambda/warm-up';
import { step as report } from '../../lambda/report';
import { syncCatchUpStep } from '../../lambda/sync-catch-up';
import { DEFAULT_IGNORED_QUEUES, DEFAULT_SYNC_QUEUES } from '../../lib/contracts/sync-catch-up';
import { STEP_TABLE as STEP_TABLE_NAME, type FakeAws } from '../fakes/aws';
import type { JobOptions } from '../fakes/job';
import { build, RELEASE_TABLE, setupReleaseKeeping, updateParams } from '../fakes/releases';
import { IMAGES_INPUT, MODEL, putArtifact, RELEASE_OUTPUT, setupShop, V1, V2 } from '../fakes/shop';

/** The image keys of setupShop's services (zed, yves, glue and the scheduler). */
const APP_KEYS = ['zed', 'yves', 'glue', 'scheduler'];
import { FakeListener, LISTENER } from './maintenance-fake-elb';

type Handler = (event: CodePipelineEvent, context: ReturnType<FakeAws['context']>) => Promise<void>;

export interface StepCase {
  readonly name: string;
  /** Prepares the fake (and any server the step talks to); returns the handler. */
  setup(aws: FakeAws): Promise<Handler>;
  /** The job that makes the step act (id filled in by the test). */
  readonly job: Omit<JobOptions, 'id'>;
  /** The calls that changed something, by kind. */
  sideEffects(aws: FakeAws): Record<string, number>;
  /** What one delivery does (the concurrent pair must do exactly this). */
  readonly once: Record<string, number>;
}

/** Servers and class mocks a case started, closed after each test. */
const cleanups: (() => Promise<void> | void)[] = [];
export async function cleanUp(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!();
}

/** A loopback HTTP server: GETs answer `[]` (an empty broker, a fine page), other methods 204; every request is counted. */
async function loopback(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => (req.method === 'GET' ? res.writeHead(200, { 'content-type': 'application/json' }).end('[]') : res.writeHead(204).end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const writes = (aws: FakeAws, ...ops: string[]) => Object.fromEntries(ops.map((op) => [op, aws.calls(op).length]));
const ECS_WRITES = ['ECS.RunTask', 'ECS.StopTask', 'ECS.RegisterTaskDefinition', 'ECS.UpdateService'];
const ALL_WRITES = [...ECS_WRITES, 'SSM.PutParameter', 'SSM.LabelParameterVersion', 'S3.PUT'];

/** The release of a prepared shop: Pre_Deployment_Configuration really ran (another job). */
async function preparedShop(aws: FakeAws) {
  setupShop(aws);
  const { report } = await aws.runJob(defineStep(prepare, aws.deps()), { id: 'job-prepare-first', params: { model: MODEL }, inputs: [IMAGES_INPUT], outputs: [RELEASE_OUTPUT] });
  if (report.kind !== 'success') throw new Error(`preparing the release failed: ${JSON.stringify(report.body)}`);
  aws.requests.length = 0; // count only what the step under test does
}

let listener: FakeListener | undefined;
let server: { url: string; requests: string[] } | undefined;

export const STEP_CASES: StepCase[] = [
  {
    name: 'run-hook',
    setup: async (aws) => {
      setupShop(aws);
      aws.ecs.nextTasks.push({ exitCode: 0, runMs: 10_000 });
      return defineStep(runHook, aws.deps());
    },
    job: { params: { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', then: 'vendor/bin/console scheduler:suspend -vvv --no-ansi', timeoutMinutes: 30 } },
    sideEffects: (aws) => writes(aws, ...ALL_WRITES),
    once: { 'ECS.RunTask': 1 },
  },
  {
    name: 'pre-deployment-configuration',
    setup: async (aws) => {
      setupShop(aws);
      return defineStep(prepare, aws.deps());
    },
    job: { params: { model: MODEL }, inputs: [IMAGES_INPUT], outputs: [RELEASE_OUTPUT] },
    sideEffects: (aws) => ({
      ...writes(aws, ...ALL_WRITES),
      families: new Set(aws.calls('ECS.RegisterTaskDefinition').map((b) => b.family)).size,
    }),
    once: { 'ECS.RegisterTaskDefinition': 4, families: 4, 'S3.PUT': 1 },
  },
  {
    name: 'deploy',
    setup: async (aws) => {
      await preparedShop(aws);
      return defineStep(deploy, aws.deps());
    },
    job: { params: { model: MODEL, services: 'application' }, inputs: [RELEASE_OUTPUT] },
    sideEffects: (aws) => ({
      ...writes(aws, ...ALL_WRITES),
      services: new Set(aws.calls('ECS.UpdateService').map((b) => b.service)).size,
    }),
    once: { 'ECS.UpdateService': 3, services: 3 },
  },
  {
    name: 'update-deployed-version',
    setup: async (aws) => {
      setupReleaseKeeping(aws, APP_KEYS, 100);
      // The build pushed the release's images; images.json names them by digest.
      const { images } = await build(aws, V2, APP_KEYS);
      await preparedShop(aws);
      putArtifact(aws, IMAGES_INPUT, { 'images.json': JSON.stringify({ version: V2, images }) });
      aws.ssm.set('/production/lastdeployedversion', V1);
      aws.requests.length = 0;
      return defineStep(update, aws.deps());
    },
    job: { params: updateParams(100), inputs: [RELEASE_OUTPUT, IMAGES_INPUT] },
    sideEffects: (aws) => ({
      ...writes(aws, ...ALL_WRITES, 'ECR.PutImage'),
      releases: aws.calls('DynamoDB.PutItem').filter((b) => b.TableName === RELEASE_TABLE).length,
    }),
    once: { 'SSM.PutParameter': 1, 'ECR.PutImage': 4, releases: 1 },
  },
  {
    name: 'post-deployment-configuration',
    setup: async (aws) => {
      await preparedShop(aws);
      return defineStep(post, aws.deps());
    },
    job: { params: { model: MODEL }, inputs: [RELEASE_OUTPUT] },
    sideEffects: (aws) => ({ ...writes(aws, ...ALL_WRITES), reads: aws.calls('ECS.DescribeServices').length > 0 ? 1 : 0 }),
    once: { reads: 1 },
  },
  {
    name: 'prepare-version',
    setup: async (aws) => {
      aws.ssm.set('/production/desired_version', 'latest');
      aws.ssm.set('/production/lastdeployedversion', V1);
      const config = aws.deps().clientConfig!;
      return prepareVersion({ ...aws.deps(), ssm: new SSMClient(config), s3: new S3Client(config) });
    },
    job: { params: { sourceVersion: '3f2a9c1d5e6f708192a3b4c5d6e7f8091a2b3c4d', desiredVersionParameter: '/production/desired_version', lastDeployedVersionParameter: '/production/lastdeployedversion' } },
    sideEffects: (aws) => ({ ...writes(aws, ...ALL_WRITES), reads: aws.calls('SSM.GetParameter').length > 0 ? 1 : 0 }),
    once: { reads: 1 },
  },
  {
    name: 'maintenance-mode',
    setup: async (aws) => {
      listener = new FakeListener('tg-yves');
      listener.addHostRule(10, 'www.shop.de', 'tg-yves');
      cleanups.push(() => listener!.mock.restore());
      aws.ssm.set(
        '/production/pipeline/maintenance',
        JSON.stringify({ v: 1, env: 'production', listenerArn: LISTENER, priority: 1, allowedIps: [], page: '<h1>back soon</h1>', contentType: 'text/html' }),
      );
      return defineStep(maintenance, aws.deps());
    },
    job: { params: { config: '/production/pipeline/maintenance', mode: 'enable' } },
    sideEffects: (aws) => ({ ...writes(aws, ...ALL_WRITES), 'ELB changes': listener!.changes.length }),
    once: { 'ELB changes': 1 },
  },
  {
    name: 'rabbitmq',
    setup: async (aws) => {
      server = await loopback();
      const secrets = mockClient(SecretsManagerClient);
      cleanups.push(() => secrets.restore());
      secrets.on(GetSecretValueCommand).callsFake(async ({ SecretId }) => ({ SecretString: SecretId.endsWith('admin') ? JSON.stringify({ username: 'admin', password: 'admin-pw' }) : 'app-pw' }));
      aws.ssm.set(
        '/production/pipeline/rabbitmq',
        JSON.stringify({
          v: 1,
          endpoint: server.url,
          adminSecret: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:broker/admin',
          vhosts: ['de_queue'],
          users: [{ name: 'app', passwordSecret: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:broker/app', tags: [], permissions: [{ vhost: 'de_queue', configure: '.*', write: '.*', read: '.*' }] }],
          removeUndeclared: false,
        }),
      );
      return defineStep(rabbitMqStep({ api: { timeoutMs: 2000, backoffMs: 10 } }), aws.deps());
    },
    // The stack pins the broker endpoint in UserParameters: the loopback broker's, known once it listens.
    get job() {
      return { params: { config: '/production/pipeline/rabbitmq', endpoint: server!.url, allowInsecureEndpoint: true } };
    },
    sideEffects: (aws) => ({ ...writes(aws, ...ALL_WRITES), 'broker changes': server!.requests.filter((r) => !r.startsWith('GET')).length }),
    // vhost, user, permission
    once: { 'broker changes': 3 },
  },
  {
    name: 'warm-up',
    setup: async (aws) => {
      server = await loopback();
      aws.ssm.set('/production/pipeline/warm-up', JSON.stringify({ v: 1, urls: [`${server.url}/a`, `${server.url}/b`], concurrency: 2, timeoutMs: 2000, ttfbMs: 1500, onProblem: 'fail' }));
      return defineStep(warmUp, aws.deps());
    },
    job: { params: { config: '/production/pipeline/warm-up' } },
    sideEffects: (aws) => ({ ...writes(aws, ...ALL_WRITES), 'page requests': server!.requests.length }),
    once: { 'page requests': 2 },
  },
  {
    name: 'report',
    setup: async (aws) => {
      process.env.REPORT_BUCKET = 'production-reports';
      cleanups.push(() => void delete process.env.REPORT_BUCKET);
      return defineStep(report, aws.deps());
    },
    job: { stage: 'Report', action: 'Report', params: { environment: 'production' } },
    sideEffects: (aws) => writes(aws, ...ALL_WRITES),
    // report.json and report.html
    once: { 'S3.PUT': 2 },
  },
  {
    name: 'sync-catch-up',
    setup: async (aws) => {
      // The loopback broker has no queue: drained at once, after the settle period (the fake's clock).
      server = await loopback();
      aws.secretsManager.set('arn:aws:secretsmanager:eu-central-1:123456789012:secret:broker/admin', JSON.stringify({ username: 'admin', password: 'admin-pw' }));
      aws.ssm.set(
        '/production/pipeline/rabbitmq',
        JSON.stringify({ v: 1, endpoint: server.url, adminSecret: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:broker/admin', vhosts: ['de_queue'], users: [], removeUndeclared: false }),
      );
      return defineStep(syncCatchUpStep({ api: { timeoutMs: 2000, backoffMs: 10 } }), aws.deps());
    },
    get job() {
      return {
        params: { config: '/production/pipeline/rabbitmq', endpoint: server!.url, allowInsecureEndpoint: true, queues: [...DEFAULT_SYNC_QUEUES], ignore: [...DEFAULT_IGNORED_QUEUES], settleSeconds: 10, timeoutMinutes: 30, mode: 'await', onTimeout: 'fail' },
      };
    },
    // Read-only on the broker; its one durable effect is the timeline's two marks (claims).
    sideEffects: (aws) => ({
      ...writes(aws, ...ALL_WRITES),
      'broker changes': server!.requests.filter((r) => !r.startsWith('GET')).length,
      'timeline marks': aws.dynamodb.items(STEP_TABLE_NAME).filter((i) => i.id.S!.startsWith('record#timeline#')).length,
    }),
    once: { 'timeline marks': 2 },
  },
];

/** The counts with zeros dropped (so `once` lists only what a step does). */
export function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}
