/**
 * The simulated shop of a rehearsal: the `production` environment as the stack leaves it before a
 * deployment. Its ECS services run V1, the deployment model and the broker's desired state are in
 * SSM, the broker admin's and the shop user's passwords in Secrets Manager, the ECR repositories
 * and the release history exist, and `/production/lastdeployedversion` is V1. Its ALB listener
 * routes to the shop; maintenance mode's configuration names it.
 */
import type { BrokerConfig } from '../lambda/rabbitmq/config';
import type { MaintenanceConfig } from '../lib/contracts/maintenance';
import type { DeploymentModel, ModelService } from '../lambda/runtime/model';
import { DEFAULT_HOOKS, SPRYKER_APPLICATIONS } from '../lib/config/types';
import type { FakeAws } from './aws';
import type { FakeRabbitMq } from './rabbitmq';

export const ENV = 'production';
/** ssmPaths('production') (lib/deployment.ts) and ConfigureRabbitMqStage.configParameterName: test/sim keeps them equal. */
export const PATHS = {
  model: `/${ENV}/pipeline/model`,
  desiredVersion: `/${ENV}/desired_version`,
  lastDeployedVersion: `/${ENV}/lastdeployedversion`,
  broker: `/${ENV}/pipeline/rabbitmq`,
  /** maintenanceConfigPath('production') (lib/maintenance.ts). */
  maintenance: `/${ENV}/pipeline/maintenance`,
} as const;
/** The shop's ALB listener, where maintenance mode puts its 503 rule. */
export const LISTENER = 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:listener/app/production-shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
/** releaseTableName('production') (lib/release-history.ts). */
export const RELEASE_TABLE = `${ENV}-spryker-release-history`;
/** repositoryName('production', key) (lib/images.ts). */
export const repositoryOf = (key: string) => `${ENV}-${key}`;
/** KEPT_TAG_PREFIX (lib/images.ts). */
export const KEPT_TAG_PREFIX = 'kept-';

export const V1 = '1111111111111111111111111111111111111111';
export const V2 = '2222222222222222222222222222222222222222';

/** The store vhosts and the queues Spryker fills after scheduler:setup (publish, sync to Redis and search). */
export const STORE_VHOSTS = ['eu-docker', 'us-docker'];
export const SYNC_QUEUES = ['publish', 'publish.product_abstract', 'sync.storage.product', 'sync.search.product'];
/** An error queue: never drains by itself (what a sync gate must ignore). */
export const ERROR_QUEUE = 'sync.storage.product.error';
/** Messages scheduler:setup's first jobs put into each sync queue of each store vhost. */
export const SYNC_MESSAGES = 500;
export const BROKER_ADMIN = { username: 'admin', password: 'rehearsal-admin-password' };
const ADMIN_SECRET = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:production/rabbitmq/admin';
const USER_SECRET = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:production/rabbitmq/spryker';

/** The first application names of a Spryker shop, then numbered ones: `count` services in all. */
export function applicationNames(count: number): string[] {
  const known = [...SPRYKER_APPLICATIONS, 'frontend'];
  return Array.from({ length: count }, (_, i) => known[i] ?? `app-${i + 1}`);
}

export interface ShopSetup {
  readonly model: DeploymentModel;
  /** Image keys built for a version (applications and `scheduler`). */
  readonly imageKeys: string[];
}

/** Creates the shop on the simulator; `brokerEndpoint` is the simulated management API. */
export function setupRehearsalShop(aws: FakeAws, options: { readonly services: number; readonly brokerEndpoint: string; readonly postDeployHook?: string }): ShopSetup {
  const svc = (app: string, container = app): ModelService => ({ app, service: `${ENV}-${app}`, containers: { [container]: app } });
  const services = applicationNames(options.services).map((a) => svc(a));
  const scheduler = svc('scheduler', 'jenkins');
  const imageKeys = [...services.map((s) => s.app), 'scheduler'];
  for (const key of imageKeys) aws.ecr.createRepository(repositoryOf(key));
  for (const s of [...services, scheduler]) {
    const [container, key] = Object.entries(s.containers)[0];
    aws.ecs.addService({ name: s.service, family: s.service, containers: { [container]: aws.ecr.push(repositoryOf(key), V1) } });
  }
  const model: DeploymentModel = {
    v: 1,
    env: ENV,
    cluster: ENV,
    services,
    scheduler,
    hookService: services[0].app,
    hooks: { ...DEFAULT_HOOKS, ...(options.postDeployHook ? { afterDeploy: options.postDeployHook } : {}) },
  };
  aws.ssm.set(PATHS.model, JSON.stringify(model));
  aws.ssm.set(PATHS.desiredVersion, 'latest');
  aws.ssm.set(PATHS.lastDeployedVersion, V1);
  const broker: BrokerConfig = {
    v: 1,
    endpoint: options.brokerEndpoint,
    adminSecret: ADMIN_SECRET,
    vhosts: STORE_VHOSTS,
    users: [{ name: 'spryker', passwordSecret: USER_SECRET, tags: [], permissions: STORE_VHOSTS.map((vhost) => ({ vhost, configure: '.*', write: '.*', read: '.*' })) }],
    removeUndeclared: false,
  };
  aws.ssm.set(PATHS.broker, JSON.stringify(broker));
  aws.secretsManager.set(ADMIN_SECRET, JSON.stringify(BROKER_ADMIN));
  aws.secretsManager.set(USER_SECRET, 'rehearsal-user-password');
  aws.elbv2.addListener(LISTENER, { 100: '/*' });
  const maintenance: MaintenanceConfig = { v: 1, env: ENV, listenerArn: LISTENER, priority: 1, allowedIps: ['203.0.113.0/24'], page: '<h1>Back soon</h1>', contentType: 'text/html' };
  aws.ssm.set(PATHS.maintenance, JSON.stringify(maintenance));
  aws.dynamodb.createTable(RELEASE_TABLE, { partitionKey: 'env', sortKey: 'version', indexes: { deployedAt: 'deployedAt' } });
  return { model, imageKeys };
}

/**
 * `scheduler:setup`, the last command of Run_install's task, starts the scheduler's jobs: the
 * publish and sync queues of the store vhosts fill at once and the queue workers drain them
 * steadily over `drainMs` (Redis and search catching up); the error queue keeps a few messages.
 * Looks at the last hook task as ECS reports it: only a task that exited 0 ran scheduler:setup,
 * at its `stoppedAt`. Returns that time, or undefined when it did not run.
 */
export function runSchedulerSetup(aws: FakeAws, rabbit: FakeRabbitMq, drainMs: number): number | undefined {
  const install = [...aws.ecs.tasks.values()].filter((t) => !t.startedBy?.startsWith('ecs-svc/')).pop();
  if (!install) return undefined;
  const { tasks } = aws.ecs.api.DescribeTasks({ cluster: ENV, tasks: [install.arn] }) as { tasks: { lastStatus: string; stoppedAt?: number; containers: { name: string; exitCode?: number }[] }[] };
  const task = tasks[0];
  const exitCode = task?.containers.find((c) => c.name === install.container)?.exitCode;
  if (task?.lastStatus !== 'STOPPED' || exitCode !== 0 || task.stoppedAt === undefined) return undefined;
  const at = Math.round(task.stoppedAt * 1000);
  for (const vhost of STORE_VHOSTS) {
    for (const queue of SYNC_QUEUES) rabbit.fill(vhost, queue, SYNC_MESSAGES, drainMs, at);
    rabbit.fill(vhost, ERROR_QUEUE, 3, Infinity, at);
  }
  return at;
}
