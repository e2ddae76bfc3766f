/**
 * The default route end to end: deploy file → props → synthesized pipeline → Build_and_Prepare
 * (scripts/build-images.sh with docker-sdk's default build commands, a fake docker/sdk printing
 * docker-sdk's real `export images` format, fake aws/docker) → Pre_Deployment_Configuration and
 * Deploy_Spryker_services on the fake AWS. Every image SCCOS deploys is built, pushed and
 * deployed: each application, the frontend and the Jenkins scheduler.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SprykerPipeline } from '../../lib';
import { readDeployFile, sprykerPipelinePropsFromDeployFile } from '../../lib/config/deploy-file';
import { STATIC_APPLICATION } from '../../lib/config/preflight/finding';
import { step as deploy } from '../../lambda/deploy';
import { defineStep } from '../../lambda/runtime/job';
import type { DeploymentModel } from '../../lib/contracts/model';
import { step as preDeploymentConfiguration } from '../../lambda/pre-deployment-configuration';
import type { FakeAws } from '../fakes/aws';
import { IMAGES_INPUT, MODEL, putArtifact, RELEASE_OUTPUT, td, useFakeAws } from '../fakes/shop';
import { testApp } from '../infra/helpers';
import { FAKE_BIN, runBuildScript } from './run-build-script';

const FILE = path.join(__dirname, '..', 'fixtures', 'deploy-files', 'accepted', 'images', 'deploy.shop-production.yml');
const REGISTRY = '123456789012.dkr.ecr.eu-central-1.amazonaws.com';
const V2 = '2'.repeat(40);

/**
 * docker-sdk's `docker/sdk` for `boot` and `export images -t <tag>`: Images::printAll of
 * bin/sdk/images/common.sh, one `<key> <prefix>_app:<tag>-<key lowercased>` per non-static
 * application key, then frontend and pipeline.
 */
const FAKE_SDK = `#!/usr/bin/env bash
set -euo pipefail
echo "docker/sdk $*" >>"$FAKE_CALLS"
case "$1" in
boot) echo "booting $2" >&2 ;;
export)
  [[ "$2 $3" == "images -t" ]] || { echo "fake docker/sdk: unexpected $*" >&2; exit 2; }
  echo "Building Application images" >&2
  for application in $FAKE_SDK_APPLICATIONS; do
    printf "%s %s_app:%s\\n" "$application" "$FAKE_SDK_PREFIX" "$4-$(echo "$application" | tr '[:upper:]' '[:lower:]')"
  done
  printf "%s %s_frontend:%s\\n" frontend "$FAKE_SDK_PREFIX" "$4-frontend"
  printf "%s %s_pipeline:%s\\n" pipeline "$FAKE_SDK_PREFIX" "$4-pipeline"
  ;;
*) echo "fake docker/sdk: unexpected $*" >&2; exit 2 ;;
esac
`;

let aws: FakeAws;
useFakeAws((started) => (aws = started));

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-file-images-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The pipeline from the deploy file, as a user's app synthesizes it. */
function synth() {
  const props = sprykerPipelinePropsFromDeployFile(FILE, { cluster: 'production' });
  const stack = new Stack(testApp(), 'Shop', { env: { account: '123456789012', region: 'eu-central-1' } });
  new SprykerPipeline(stack, 'Pipeline', props);
  const template = Template.fromStack(stack);
  const [project] = Object.values(template.findResources('AWS::CodeBuild::Project'));
  const env = Object.fromEntries(project.Properties.Environment.EnvironmentVariables.map((v: { Name: string; Value: string }) => [v.Name, v.Value]));
  const [param] = Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: MODEL } }));
  return { props, env, model: JSON.parse(param.Properties.Value) as DeploymentModel };
}

/** Build_and_Prepare: the CodeBuild project's environment, in a checkout with the fake docker-sdk. */
function build(env: Record<string, string>) {
  const work = path.join(dir, 'src');
  const registry = path.join(dir, 'registry');
  const calls = path.join(dir, 'calls');
  fs.mkdirSync(path.join(work, 'docker'), { recursive: true });
  fs.writeFileSync(path.join(work, 'docker', 'sdk'), FAKE_SDK, { mode: 0o755 });
  for (const key of env.SPRYKER_IMAGES.split(' ')) fs.mkdirSync(path.join(registry, `production-${key}`), { recursive: true });
  fs.writeFileSync(calls, '');
  for (const tool of ['aws', 'docker']) fs.chmodSync(path.join(FAKE_BIN, tool), 0o755);
  const config = readDeployFile(FILE);
  return runBuildScript(
    { dir, work, registry, calls },
    {
      FAKE_SDK_PREFIX: String(config.data.namespace),
      // docker-sdk's _applications: the non-static application keys, in file order.
      FAKE_SDK_APPLICATIONS: config.applications.filter((a) => a.application !== STATIC_APPLICATION).map((a) => a.key).join(' '),
      ...env,
      ECR_REGISTRY: REGISTRY,
      VERSION: V2,
      SOURCE_VERSION: V2,
    },
  );
}

test('deploy file → props: one service per application type, the frontend, the Jenkins scheduler; static builds nothing', () => {
  const { props, env, model } = synth();
  expect(props.services.map((s) => s.application)).toEqual(['yves', 'glue', 'backoffice', 'backend-gateway', 'zed']);
  expect(props.frontend).toEqual({ application: 'frontend' });
  expect(env.SPRYKER_IMAGES).toBe('yves glue backoffice backend-gateway zed frontend jenkins');
  expect(model.services.at(-1)).toEqual({ app: 'frontend', service: 'production-frontend', containers: { frontend: 'frontend' } });
  expect(model.scheduler).toEqual({ app: 'scheduler', service: 'production-scheduler', containers: { jenkins: 'jenkins' } });
});

test('the frontend can be named or turned off', () => {
  expect(sprykerPipelinePropsFromDeployFile(FILE, { cluster: 'c', frontend: false }).frontend).toBe(false);
  expect(sprykerPipelinePropsFromDeployFile(FILE, { cluster: 'c', frontend: { application: 'frontend', service: 'shop-nginx' } }).frontend).toEqual({ application: 'frontend', service: 'shop-nginx' });
});

test('the frontend is validated with the other services', () => {
  const props = sprykerPipelinePropsFromDeployFile(FILE, { cluster: 'c', frontend: { application: 'yves' } });
  const stack = new Stack(testApp(), 'Dup', { env: { account: '123456789012', region: 'eu-central-1' } });
  expect(() => new SprykerPipeline(stack, 'Pipeline', props)).toThrow(/frontend\.application: 'yves' is listed twice \(also services\[0\]\)/);
});

test("docker-sdk's real export format: every image key is built, pushed and deployed, the frontend and Jenkins too", async () => {
  const { env, model } = synth();
  const built = build(env);
  expect(built.stderr).not.toMatch(/ERROR/);
  expect(built.status).toBe(0);
  // The build boots the deploy file the props came from (sprykerPipelinePropsFromDeployFile sets build.deployFile).
  expect(built.calls).toEqual(expect.arrayContaining(['docker/sdk boot deploy.shop-production.yml', `docker/sdk export images -t ${V2}`]));
  // docker-sdk builds Jenkins on the application image only when it pushes itself: the default commands do it as it does.
  expect(built.calls).toContain(`docker build -t shop_jenkins:${V2} -f docker/images/common/services/jenkins/export/Dockerfile --build-arg SPRYKER_PARENT_IMAGE=shop_app:${V2}-yves_eu docker/`);
  const tags = built.calls.filter((c) => c.startsWith('docker tag '));
  expect(tags).toEqual([
    `docker tag shop_app:${V2}-yves_eu ${REGISTRY}/production-yves:${V2}`,
    `docker tag shop_app:${V2}-yves_eu ${REGISTRY}/production-glue:${V2}`,
    `docker tag shop_app:${V2}-yves_eu ${REGISTRY}/production-backoffice:${V2}`,
    `docker tag shop_app:${V2}-yves_eu ${REGISTRY}/production-backend-gateway:${V2}`,
    `docker tag shop_app:${V2}-yves_eu ${REGISTRY}/production-zed:${V2}`,
    `docker tag shop_frontend:${V2}-frontend ${REGISTRY}/production-frontend:${V2}`,
    `docker tag shop_jenkins:${V2} ${REGISTRY}/production-jenkins:${V2}`,
  ]);
  expect(Object.keys(built.manifest!.images)).toEqual(env.SPRYKER_IMAGES.split(' '));

  // The shop on the fake, on V1: every service of the model, the frontend and the scheduler included.
  const v1 = (key: string) => `${REGISTRY}/production-${key}@sha256:${'1'.repeat(64)}`;
  for (const s of [...model.services, model.scheduler]) {
    aws.ecs.addService({ name: s.service, family: s.service, containers: Object.fromEntries(Object.entries(s.containers).map(([c, key]) => [c, v1(key)])) });
  }
  aws.ssm.set(MODEL, JSON.stringify(model));
  putArtifact(aws, IMAGES_INPUT, { 'images.json': JSON.stringify(built.manifest) });
  const deps = aws.deps();
  const prep = await aws.runJob(defineStep(preDeploymentConfiguration, deps), { id: 'job-prep', params: { model: MODEL }, inputs: [IMAGES_INPUT], outputs: [RELEASE_OUTPUT] });
  expect(prep.report.kind).toBe('success');
  const registered = new Map(aws.calls('ECS.RegisterTaskDefinition').map((r) => [r.family as string, r.containerDefinitions[0].image as string]));
  expect(registered.get('production-frontend')).toBe(built.manifest!.images.frontend);
  expect(registered.get('production-scheduler')).toBe(built.manifest!.images.jenkins);

  // Deploy_Spryker_services rolls the frontend out with the applications.
  const services = await aws.runJob(defineStep(deploy, deps), { id: 'job-deploy', params: { model: MODEL, services: 'application' }, inputs: [RELEASE_OUTPUT] }, { lambdaMs: 60_000 });
  expect(services.report.kind).toBe('success');
  const updated = aws.requests.filter((r) => r.op === 'ECS.UpdateService').map((r) => r.body.service);
  expect(updated).toEqual(model.services.map((s) => s.service));
  expect(aws.ecs.services.get('production-frontend')!.deployments).toMatchObject([{ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: td('production-frontend', 2) }]);
});
