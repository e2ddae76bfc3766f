/** Pre_Deployment_Configuration, UpdateDeployedVersion and Post_Deployment_Configuration on the fake. */
import { step as post } from '../../lambda/post-deployment-configuration';
import { step as prepare } from '../../lambda/pre-deployment-configuration';
import { readZip } from '../../lambda/runtime/artifacts';
import { defineStep } from '../../lambda/runtime/job';
import { GetParameterCommand, LabelParameterVersionCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { DeployedRelease, ReleaseManifest } from '../../lambda/runtime/release';
import { step as update } from '../../lambda/update-deployed-version';
import { FakeAws, SSM_MAX_VERSIONS, STEP_TABLE } from '../fakes/aws';
import { build, RELEASE_TABLE, setupReleaseKeeping, updateParams } from '../fakes/releases';
import { IMAGES_INPUT, MODEL, putArtifact, RELEASE_OUTPUT, setupShop, V1, V2, useFakeAws, td } from '../fakes/shop';

const V3 = '3333333333333333333333333333333333333333';

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
  const KEYS = ['zed', 'yves', 'glue', 'scheduler'];
  const manifest = (version: string, services: string[], preparedAt = `prepared-${version}`): ReleaseManifest => ({
    v: 1,
    env: 'production',
    version,
    preparedAt,
    services: services.map((s) => ({ app: s, service: s, previousTaskDefinition: td(s, 1233), taskDefinition: td(s, 1234) })),
  });
  /** Build_and_Prepare and Pre_Deployment_Configuration of a version, as artifacts. */
  async function released(version: string, services = ['production-zed', 'production-scheduler'], preparedAt?: string) {
    const { images } = await build(aws, version, KEYS);
    putArtifact(aws, RELEASE_OUTPUT, { 'release.json': JSON.stringify(manifest(version, services, preparedAt)) });
    return images;
  }
  const inputs = [RELEASE_OUTPUT, IMAGES_INPUT];
  const record = (version: string) => aws.dynamodb.records(RELEASE_TABLE).find((i) => i.version === version) as unknown as DeployedRelease | undefined;

  test('keeps a 50-service release as one item, tags every image of it, then sets the version', async () => {
    setupReleaseKeeping(aws, KEYS, 100);
    const services = Array.from({ length: 50 }, (_, i) => `production-backend-gateway-${i}`);
    const images = await released(V2, services);
    const { report } = await aws.runJob(defineStep(update, aws.deps()), { id: 'job-up', params: updateParams(100), inputs });
    expect(report.body.executionDetails.summary).toBe(
      `/production/lastdeployedversion = ${V2}; release ${V2} kept in ${RELEASE_TABLE}, 4 of 4 image(s) newly tagged kept-${V2}; 0 release(s) beyond the newest 100 pruned`,
    );
    expect(record(V2)).toEqual({
      v: 2,
      env: 'production',
      version: V2,
      releaseId: `prepared-${V2}`,
      deployedAt: new Date(aws.clock.now).toISOString(),
      taskDefinitions: Object.fromEntries(services.map((s) => [s, `${s}:1234`])),
      images: Object.values(images).sort(),
    });
    for (const uri of Object.values(images)) expect(aws.ecr.tagsOf(uri).sort()).toEqual([V2, `kept-${V2}`]);
    expect(aws.ssm.parameters.get('/production/lastdeployedversion')!.map((v) => v.value)).toEqual([V2]);
    // The release goes to ECR and DynamoDB before the version names it.
    const order = aws.requests.filter((r) => r.body?.TableName !== STEP_TABLE).map((r) => r.op).filter((op) => ['ECR.PutImage', 'DynamoDB.PutItem', 'SSM.PutParameter'].includes(op));
    expect(order).toEqual(['ECR.PutImage', 'ECR.PutImage', 'ECR.PutImage', 'ECR.PutImage', 'DynamoDB.PutItem', 'SSM.PutParameter']);
  });

  test('two deliveries in flight at once and a rerun write the release once and the version once', async () => {
    setupReleaseKeeping(aws, KEYS, 100);
    aws.ssm.set('/production/lastdeployedversion', V1);
    await released(V2);
    const h = defineStep(update, aws.deps());
    await Promise.all([h(aws.event({ id: 'job-a', params: updateParams(100), inputs }), aws.context()), h(aws.event({ id: 'job-b', params: updateParams(100), inputs }), aws.context())]);
    const { report } = await aws.runJob(h, { id: 'job-rerun', params: updateParams(100), inputs });
    expect(aws.codepipeline.reports.map((r) => r.kind)).toEqual(['success', 'success', 'success']);
    expect(report.body.executionDetails.summary).toMatch(new RegExp(`^/production/lastdeployedversion = ${V2} \\(unchanged\\); release ${V2} was already kept \\(nothing written\\)`));
    expect(report.body.executionDetails.summary).toContain('0 of 4 image(s) newly tagged');
    expect(aws.dynamodb.records(RELEASE_TABLE)).toHaveLength(1);
    // Two racing deliveries may both see V1 and both write V2; the rerun writes nothing.
    const written = aws.ssm.parameters.get('/production/lastdeployedversion')!.map((v) => v.value);
    expect(written.slice(0, 2)).toEqual([V1, V2]);
    expect(written.length).toBeLessThanOrEqual(3);
    expect(aws.calls('SSM.PutParameter').length).toBe(written.length - 1);
  });

  test('beyond keepReleases the oldest release is pruned and its images lose their tag: ECR may expire them again', async () => {
    setupReleaseKeeping(aws, KEYS, 2);
    const h = defineStep(update, aws.deps());
    const byVersion: Record<string, Record<string, string>> = {};
    for (const [i, v] of [V1, V2, V3].entries()) {
      byVersion[v] = await released(v);
      aws.clock.advance(86_400_000);
      await aws.runJob(h, { id: `job-${i}`, params: updateParams(2), inputs });
    }
    expect(aws.codepipeline.reports.at(-1)!.body.executionDetails.summary).toMatch(new RegExp(`1 release\\(s\\) beyond the newest 2 pruned: ${V1}$`));
    expect(aws.dynamodb.records(RELEASE_TABLE).map((i) => i.version).sort()).toEqual([V2, V3]);
    expect(aws.ecr.tagsOf(byVersion[V1].zed)).toEqual([V1]);
    expect(aws.ecr.tagsOf(byVersion[V2].zed).sort()).toEqual([V2, `kept-${V2}`]);
  });

  test('an image gone from ECR fails the step before anything is kept, naming the image and the fix', async () => {
    setupReleaseKeeping(aws, KEYS, 100);
    const images = await released(V2);
    aws.ecr.api.BatchDeleteImage({ repositoryName: 'production-yves', imageIds: [{ imageTag: V2 }] });
    const { report } = await aws.runJob(defineStep(update, aws.deps()), { id: 'job-up', params: updateParams(100), inputs });
    expect(report.body.failureDetails.message).toBe(
      `image production-yves@${images.yves.split('@')[1]} of the deployed release is gone from ECR (ImageNotFound: Requested image not found), so the release cannot be kept for rollback: ` +
        "check the repository's lifecycle policy (it must keep images tagged with the kept-release prefix), then rerun the pipeline",
    );
    expect(aws.dynamodb.records(RELEASE_TABLE)).toEqual([]);
    expect(aws.calls('SSM.PutParameter')).toEqual([]);
  });
});

describe('UpdateDeployedVersion, what it refuses and what it tolerates', () => {
  const inputs = [RELEASE_OUTPUT, IMAGES_INPUT];
  const release = JSON.stringify({ v: 1, env: 'production', version: V2, preparedAt: 'p', services: [{ app: 'zed', service: 'production-zed', previousTaskDefinition: td('production-zed', 1), taskDefinition: td('production-zed', 2) }] });

  test('an image by tag, not digest, fails before any ECR call, naming it', async () => {
    setupReleaseKeeping(aws, ['zed'], 100);
    putArtifact(aws, IMAGES_INPUT, { 'images.json': JSON.stringify({ version: V2, images: { zed: 'r/production-zed:latest' } }) });
    putArtifact(aws, RELEASE_OUTPUT, { 'release.json': release });
    const { report } = await aws.runJob(defineStep(update, aws.deps()), { id: 'job-tag', params: updateParams(100), inputs });
    expect(report.body.failureDetails.message).toBe("images.json names image(s) r/production-zed:latest, not <repository uri>@sha256:<digest>: check Build_and_Prepare's output");
    // Only the job runtime's own record in the step table.
    expect(aws.requests.filter((r) => r.op.startsWith('ECR.') || (r.op.startsWith('DynamoDB.') && r.body.TableName !== STEP_TABLE))).toEqual([]);
  });

  test('a pruning failure is a warning: the release is kept and the version set', async () => {
    setupReleaseKeeping(aws, ['zed'], 100);
    await build(aws, V2, ['zed']);
    putArtifact(aws, RELEASE_OUTPUT, { 'release.json': release });
    aws.fail('DynamoDB.Query', 'AccessDeniedException', 'not allowed');
    const { report } = await aws.runJob(defineStep(update, aws.deps()), { id: 'job-prune', params: updateParams(100), inputs });
    expect(report.kind).toBe('success');
    expect(report.body.executionDetails.summary).toMatch(/pruning the release history failed \(DynamoDB Query .* failed: AccessDeniedException: not allowed \(the step's role lacks a permission: check its IAM policy\)\); the next run prunes again$/);
    expect(aws.dynamodb.records(RELEASE_TABLE)).toHaveLength(1);
    expect(aws.ssm.parameters.get('/production/lastdeployedversion')!.at(-1)!.value).toBe(V2);
  });
});

describe('SSM Parameter Store limits (the fake as AWS documents them)', () => {
  test('the old design fails: with every version labelled, the 101st PutParameter is refused', async () => {
    const ssm = new SSMClient(aws.deps().clientConfig!);
    const name = '/production/pipeline/release';
    for (let i = 1; i <= SSM_MAX_VERSIONS; i++) {
      const { Version } = await ssm.send(new PutParameterCommand({ Name: name, Value: `r${i}`, Type: 'String', Overwrite: true }));
      await ssm.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: Version, Labels: [`release-${i}`] }));
    }
    await expect(ssm.send(new PutParameterCommand({ Name: name, Value: 'r101', Type: 'String', Overwrite: true }))).rejects.toMatchObject({
      name: 'ParameterMaxVersionLimitExceeded',
      message: expect.stringContaining("Version 1, the oldest version, can't be deleted because it has a label associated with it"),
    });
    expect(aws.ssm.parameters.get(name)).toHaveLength(SSM_MAX_VERSIONS);
  });

  test('an unlabelled parameter keeps taking writes past 100: the oldest version goes, numbers go on', async () => {
    const ssm = new SSMClient(aws.deps().clientConfig!);
    for (let i = 1; i <= 150; i++) await ssm.send(new PutParameterCommand({ Name: '/production/lastbuildversion', Value: `v${i}`, Type: 'String', Overwrite: true }));
    const versions = aws.ssm.parameters.get('/production/lastbuildversion')!;
    expect(versions).toHaveLength(SSM_MAX_VERSIONS);
    expect(versions[0]).toMatchObject({ version: 51, value: 'v51' });
    expect((await ssm.send(new GetParameterCommand({ Name: '/production/lastbuildversion' }))).Parameter).toMatchObject({ Version: 150, Value: 'v150' });
    await expect(ssm.send(new GetParameterCommand({ Name: '/production/lastbuildversion:50' }))).rejects.toMatchObject({ name: 'ParameterVersionNotFound' });
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
