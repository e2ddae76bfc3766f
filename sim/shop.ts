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
