/** Pre_Deployment_Configuration, UpdateDeployedVersion and Post_Deployment_Configuration on the fake. */
import { step as post } from '../../lambda/post-deployment-configuration';
import { step as prepare } from '../../lambda/pre-deployment-configuration';
import { readZip } from '../../lambda/runtime/artifacts';
import { defineStep } from '../../lambda/runtime/job';
import type { ReleaseManifest } from '../../lambda/runtime/release';
import { step as update } from '../../lambda/update-deployed-version';
import { FakeAws } from '../fakes/aws';
import { IMAGES_INPUT, MODEL, putArtifact, RELEASE_OUTPUT, setupShop, V1, V2, useFakeAws, td } from '../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const prepareJob = (id = 'job-prep') => aws.runJob(defineStep(prepare, aws.deps()), { id, params: { model: MODEL }, inputs: [IMAGES_INPUT], outputs: [RELEASE_OUTPUT] });
const release = () => JSON.parse(readZip(aws.objects.get(`/${RELEASE_OUTPUT.bucket}/${RELEASE_OUTPUT.key}`)!).get('release.json')!.toString()) as ReleaseManifest;

describe('Pre_Deployment_Configuration', () => {
  test('a rerun (or a duplicate delivery) reuses the revisions it registered instead of registering again', async () => {
    setupShop(aws);
    await prepareJob();
    const { report } = await prepareJob('job-prep-again');
    expect(report.body.executionDetails.summary).toBe(`release ${V2}: 0 task definition revision(s) registered, 4 reused, for 4 services`);
    expect(aws.calls('ECS.RegisterTaskDefinition')).toHaveLength(4);
    expect(release().services.map((s) => s.taskDefinition)).toEqual(['zed', 'yves', 'glue', 'scheduler'].map((a) => td(`production-${a}`, 2)));
  });

  test('an image missing from images.json and a container missing from the task definition fail together, nothing registered', async () => {
    const model = setupShop(aws);
    putArtifact(aws, IMAGES_INPUT, { 'out/images.json': JSON.stringify({ version: V2, images: { zed: 'r@sha256:1', yves: 'r@sha256:2', scheduler: 'r@sha256:3' } }) });
    aws.ssm.set(MODEL, JSON.stringify({ ...model, services: model.services.map((s) => (s.app === 'yves' ? { ...s, containers: { storefront: 'yves' } } : s)) }));
    const { report } = await prepareJob();
    expect(report.body.failureDetails.message).toBe(
      `release ${V2} cannot be prepared: service production-yves: task definition ${td('production-yves', 1)} has no container 'storefront' (it has yves, log-router): fix containerImages of 'yves'; ` +
        "service production-glue: images.json has no image 'glue' (it has zed, yves, scheduler): Build_and_Prepare must build it",
    );
    expect(aws.calls('ECS.RegisterTaskDefinition')).toHaveLength(0);
    expect(aws.objects.has(`/${RELEASE_OUTPUT.bucket}/${RELEASE_OUTPUT.key}`)).toBe(false);
  });

  test('an input artifact without images.json names the files it has', async () => {
    setupShop(aws);
    putArtifact(aws, IMAGES_INPUT, { 'buildspec.yml': '' });
    const { report } = await prepareJob();
    expect(report.body.failureDetails.message).toBe(`input artifact Images (s3://${IMAGES_INPUT.bucket}/${IMAGES_INPUT.key}) has no images.json (files: buildspec.yml)`);
  });
});

describe('UpdateDeployedVersion', () => {
  const params = { parameter: '/production/lastdeployedversion', releaseParameter: '/production/pipeline/release' };
  test('a 50-service release fits a standard SSM parameter; each deploy is a labelled version', async () => {
    const services = Array.from({ length: 50 }, (_, i) => `production-backend-gateway-${i}`);
    const manifest = (version: string): ReleaseManifest => ({
      v: 1,
      env: 'production',
      version,
      preparedAt: '',
      services: services.map((s) => ({ app: s, service: s, previousTaskDefinition: td(s, 1233), taskDefinition: td(s, 1234) })),
    });
    const h = defineStep(update, aws.deps());
    for (const [i, version] of [V1, V2].entries()) {
      putArtifact(aws, RELEASE_OUTPUT, { 'release.json': JSON.stringify(manifest(version)) });
      await h(aws.event({ id: `job-${i}`, params, inputs: [RELEASE_OUTPUT] }), aws.context());
    }
    expect(aws.codepipeline.reports.map((r) => r.kind)).toEqual(['success', 'success']);
    const kept = aws.ssm.parameters.get(params.releaseParameter)!;
    expect(kept.map((v) => v.labels)).toEqual([[`release-${V1}`], [`release-${V2}`]]);
    expect(kept[1].value.length).toBeGreaterThan(3000);
    expect(kept[1].value.length).toBeLessThan(4096);
    expect(kept[1].tier).toBe('Intelligent-Tiering');
    expect(aws.ssm.parameters.get(params.parameter)!.map((v) => v.value)).toEqual([V1, V2]);
    // The rollback's lookup: by label.
    expect(JSON.parse((aws.ssm.api.GetParameter({ Name: `${params.releaseParameter}:release-${V1}` }) as { Parameter: { Value: string } }).Parameter.Value).version).toBe(V1);
  });
});

describe('Post_Deployment_Configuration', () => {
  test('drift is reported per service: a rollback or a manual deploy after the release', async () => {
    setupShop(aws);
    await prepareJob();
    const input = [RELEASE_OUTPUT];
    const { report: before } = await aws.runJob(defineStep(post, aws.deps()), { id: 'job-post-0', params: { model: MODEL }, inputs: input });
    // Nothing deployed yet: every service drifts from the release.
    expect(before.body.failureDetails.message).toMatch(/^release 2{40} drifted in cluster production: production-zed runs production-zed:1 \(PRIMARY, 2 running\), the release is production-zed:2; .*production-scheduler runs/);
    for (const s of aws.ecs.services.values()) {
      s.deployments = [{ ...s.deployments[0], taskDefinition: td(s.name, 2) }];
      s.taskDefinition = td(s.name, 2);
    }
    const { report: clean } = await aws.runJob(defineStep(post, aws.deps()), { id: 'job-post-ok', params: { model: MODEL }, inputs: input });
    expect(clean.body.executionDetails.summary).toBe(`release ${V2}: all 4 services run it (8 tasks)`);
    aws.ecs.services.get('production-yves')!.deployments.unshift({ ...aws.ecs.services.get('production-yves')!.deployments[0], id: 'ecs-svc/9', taskDefinition: td('production-yves', 1) });
    aws.ecs.services.get('production-yves')!.deployments[1].status = 'ACTIVE';
    aws.ecs.services.get('production-yves')!.taskDefinition = td('production-yves', 1);
    const { report } = await aws.runJob(defineStep(post, aws.deps()), { id: 'job-post-1', params: { model: MODEL }, inputs: input });
    expect(report.body.failureDetails.message).toBe(
      `release ${V2} drifted in cluster production: production-yves runs production-yves:1 (PRIMARY, 2 running), production-yves:2 (ACTIVE, 2 running), the release is production-yves:2: a deployment, rollback or manual change happened after Deploy_Spryker_services; check the services' events and rerun the pipeline`,
    );
  });
});
