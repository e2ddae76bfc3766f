import type { DeploymentModel, ModelService } from '../../lib/contracts/model';
import { writeZip } from '../../lambda/runtime/artifacts';
import type { ImagesManifest, ReleaseManifest } from '../../lambda/runtime/release';
import { clearModelCache } from '../../lambda/runtime/load-model';
import { FakeAws } from './aws';

export const MODEL = '/production/pipeline/model';
export const V1 = '1111111111111111111111111111111111111111';
export const V2 = '2222222222222222222222222222222222222222';
export const ARTIFACTS = 'pipeline-artifacts';
export const IMAGES_INPUT = { name: 'Images', bucket: ARTIFACTS, key: 'run/Images/images.zip' };
export const RELEASE_OUTPUT = { name: 'Release', bucket: ARTIFACTS, key: 'run/Release/release.zip' };
const REPO = '123456789012.dkr.ecr.eu-central-1.amazonaws.com';
const image = (app: string, version: string) => `${REPO}/production-${app}@sha256:${version.slice(0, 8).repeat(8)}`;

export interface ShopOptions {
  /** Application services. @default ['zed', 'yves', 'glue'] */
  readonly apps?: string[];
  readonly hooks?: DeploymentModel['hooks'];
  readonly circuitBreaker?: 'rollback' | 'enabled' | 'off';
}

/**
 * A Spryker shop on the fake: application services (zed first, with a log-router sidecar) and
 * the Jenkins scheduler, all on V1; the deployment model in SSM; images.json of V2 in S3.
 */
export function setupShop(aws: FakeAws, options: ShopOptions = {}): DeploymentModel {
  const apps = options.apps ?? ['zed', 'yves', 'glue'];
  const svc = (app: string, container = app): ModelService => ({ app, service: `production-${app}`, containers: { [container]: app } });
  const services = apps.map((a) => svc(a));
  const scheduler = svc('scheduler', 'jenkins');
  for (const s of [...services, scheduler]) {
    const [container, key] = Object.entries(s.containers)[0];
    aws.ecs.addService({ name: s.service, family: s.service, containers: { [container]: image(key, V1), 'log-router': 'fluent-bit:2' }, circuitBreaker: options.circuitBreaker });
  }
  const model: DeploymentModel = {
    v: 1,
    env: 'production',
    cluster: 'production',
    services,
    scheduler,
    hookService: 'zed',
    hooks: options.hooks ?? {
      beforeDeploy: 'vendor/bin/install -r pre-deploy -vvv',
      install: 'vendor/bin/install -r EU/production --no-ansi -vvv',
      destructiveInstall: 'vendor/bin/install -r EU/destructive --no-ansi -vvv',
    },
  };
  aws.ssm.set(MODEL, JSON.stringify(model));
  const images: ImagesManifest = { v: 1, version: V2, images: Object.fromEntries([...apps, 'scheduler'].map((a) => [a, image(a, V2)])) };
  putArtifact(aws, IMAGES_INPUT, { 'images.json': JSON.stringify(images) });
  return model;
}

export const imageOf = image;

/**
 * The shop with a prepared release (what Pre_Deployment_Configuration leaves): revision 2 of every
 * service registered, release.json of V2 in S3 (RELEASE_OUTPUT).
 */
export function prepareRelease(aws: FakeAws, options: ShopOptions = {}): DeploymentModel {
  const model = setupShop(aws, options);
  const services = [...model.services, model.scheduler];
  for (const s of services) {
    const def = aws.ecs.definitions.get(td(s.service, 1))!;
    aws.ecs.definitions.set(td(s.service, 2), { ...def, taskDefinitionArn: td(s.service, 2), revision: 2 });
  }
  const release: ReleaseManifest = {
    v: 1,
    env: 'production',
    version: V2,
    preparedAt: '2025-03-01T10:00:00.000Z',
    services: services.map((s) => ({ app: s.app, service: s.service, previousTaskDefinition: td(s.service, 1), taskDefinition: td(s.service, 2) })),
  };
  putArtifact(aws, RELEASE_OUTPUT, { 'release.json': JSON.stringify(release) });
  return model;
}

export function putArtifact(aws: FakeAws, a: { bucket: string; key: string }, files: Record<string, string>) {
  aws.objects.set(`/${a.bucket}/${a.key}`, writeZip(files));
}

/** The ARN of a task-definition revision in the fake account. */
export const td = (family: string, revision: number) => `arn:aws:ecs:eu-central-1:123456789012:task-definition/${family}:${revision}`;

/**
 * A fresh fake AWS for every test (and a cold model cache), with the handlers' log lines
 * silenced; `onStart` receives it.
 */
export function useFakeAws(onStart: (aws: FakeAws) => void): void {
  let aws: FakeAws;
  beforeEach(async () => {
    clearModelCache();
    aws = await new FakeAws().start();
    onStart(aws);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await aws.stop();
  });
}
