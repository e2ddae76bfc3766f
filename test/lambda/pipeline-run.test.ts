/** A whole pipeline run on the fake: the shop moves from V1 to V2 stage by stage, across continuations. */
import { step as deploy } from '../../lambda/deploy';
import { readZip } from '../../lambda/runtime/artifacts';
import { defineStep } from '../../lambda/runtime/job';
import type { DeployedRelease, ReleaseManifest } from '../../lambda/runtime/release';
import { step as postDeploymentConfiguration } from '../../lambda/post-deployment-configuration';
import { step as preDeploymentConfiguration } from '../../lambda/pre-deployment-configuration';
import { step as runHook } from '../../lambda/run-hook';
import { step as updateDeployedVersion } from '../../lambda/update-deployed-version';
import { FakeAws } from '../fakes/aws';
import { build, RELEASE_TABLE, setupReleaseKeeping, updateParams } from '../fakes/releases';
import { imageOf, IMAGES_INPUT, MODEL, RELEASE_OUTPUT, setupShop, V1, V2, useFakeAws, td } from '../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const SUSPEND = 'vendor/bin/console scheduler:suspend -vvv --no-ansi';
const SETUP = 'vendor/bin/console scheduler:setup -vvv --no-ansi';

test('V1 → V2: hooks, new revisions, scheduler then services rolled out, version recorded, no drift', async () => {
  setupShop(aws);
  const deps = aws.deps();
  const release = [RELEASE_OUTPUT];
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: 400_000 }, { exitCode: 0, runMs: 30_000 });

  // Run_pre-deploy_hook: on the live (V1) revision; the task outlives one invocation of 120 s.
  const pre = await aws.runJob(defineStep(runHook, deps), { id: 'job-pre', params: { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', then: SUSPEND, timeoutMinutes: 30 } }, { lambdaMs: 120_000 });
  expect(pre.report.kind).toBe('success');
  expect(pre.report.body.executionDetails.summary).toMatch(/^hook beforeDeploy: task \w+ exited 0 after \d+ s$/);
  expect(pre.invocations).toBeGreaterThanOrEqual(4);
  const [run] = aws.calls('ECS.RunTask');
  expect(aws.calls('ECS.RunTask')).toHaveLength(1);
  expect(run).toMatchObject({
    cluster: 'production',
    taskDefinition: td('production-zed', 1),
    count: 1,
    clientToken: 'job-pre',
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-app'], assignPublicIp: 'DISABLED' } },
    overrides: { containerOverrides: [{ name: 'zed', command: ['sh', '-c', 'sh -ec "$1" && sh -ec "$2"', 'spryker-hook', 'vendor/bin/install -r pre-deploy -vvv', SUSPEND] }] },
  });
  // The tokens stay small and carry the task, not a second start.
  for (const t of pre.tokens) expect(t.length).toBeLessThan(600);

  // Pre_Deployment_Configuration: a V2 revision per service, sidecars untouched; release.json out.
  const prep = await aws.runJob(defineStep(preDeploymentConfiguration, deps), { id: 'job-prep', params: { model: MODEL }, inputs: [IMAGES_INPUT], outputs: release });
  expect(prep.report.body.executionDetails.summary).toBe(`release ${V2}: 4 task definition revision(s) registered, 0 reused, for 4 services`);
  const registered = aws.calls('ECS.RegisterTaskDefinition');
  expect(registered.map((r) => r.family)).toEqual(['production-zed', 'production-yves', 'production-glue', 'production-scheduler']);
  expect(registered[0].containerDefinitions.map((c: { image: string }) => c.image)).toEqual([imageOf('zed', V2), 'fluent-bit:2']);
  expect(registered[3].containerDefinitions[0]).toMatchObject({ name: 'jenkins', image: imageOf('scheduler', V2), environment: [{ name: 'SPRYKER_ENV', value: 'production' }] });
  expect(registered[0]).toMatchObject({ taskRoleArn: expect.stringContaining('production-zed-task'), cpu: '1024', memory: '2048', tags: [{ key: 'project', value: 'shop' }] });
  const zip = readZip(aws.objects.get(`/${RELEASE_OUTPUT.bucket}/${RELEASE_OUTPUT.key}`)!);
  const manifest = JSON.parse(zip.get('release.json')!.toString()) as ReleaseManifest;
  expect(manifest).toMatchObject({ v: 1, env: 'production', version: V2 });
  expect(manifest.services[0]).toEqual({ app: 'zed', service: 'production-zed', previousTaskDefinition: td('production-zed', 1), taskDefinition: td('production-zed', 2) });
  const input = [{ ...RELEASE_OUTPUT }];

  // Deploy_Scheduler.
  const sched = await aws.runJob(defineStep(deploy, deps), { id: 'job-sched', params: { model: MODEL, services: 'scheduler' }, inputs: input });
  expect(sched.report.body.executionDetails.summary).toMatch(/^1 service\(s\) on release 2{40} after \d+ s: production-scheduler$/);

  // Run_install: the release's revision, scheduler:setup after the install.
  const install = await aws.runJob(defineStep(runHook, deps), { id: 'job-install', params: { model: MODEL, hook: 'install', taskDefinition: 'release', then: SETUP, timeoutMinutes: 60 }, inputs: input });
  expect(install.report.kind).toBe('success');
  expect(aws.calls('ECS.RunTask')[1]).toMatchObject({ taskDefinition: td('production-zed', 2), overrides: { containerOverrides: [{ command: ['sh', '-c', 'sh -ec "$1" && sh -ec "$2"', 'spryker-hook', 'vendor/bin/install -r EU/production --no-ansi -vvv', SETUP] }] } });

  // Deploy_Spryker_services: all three UpdateService calls before the first poll (parallel rollout).
  const services = await aws.runJob(defineStep(deploy, deps), { id: 'job-deploy', params: { model: MODEL, services: 'application' }, inputs: input }, { lambdaMs: 60_000 });
  expect(services.report.kind).toBe('success');
  expect(services.invocations).toBeGreaterThan(1);
  const updates = aws.requests.map((r) => r.op).filter((op) => op === 'ECS.UpdateService');
  expect(updates).toHaveLength(4);
  const firstUpdate = aws.requests.findIndex((r) => r.op === 'ECS.UpdateService' && r.body.service === 'production-zed');
  expect(aws.requests.slice(firstUpdate, firstUpdate + 3).map((r) => r.body.service)).toEqual(['production-zed', 'production-yves', 'production-glue']);
  const percents = aws.codepipeline.reports.filter((r) => r.jobId.startsWith('job-deploy') && r.body.continuationToken).map((r) => r.body.executionDetails.percentComplete);
  expect(percents.length).toBeGreaterThan(0);
  expect(percents.every((p: number) => p >= 0 && p < 100)).toBe(true);
  for (const name of ['production-zed', 'production-yves', 'production-glue', 'production-scheduler']) {
    expect(aws.ecs.services.get(name)!.deployments).toMatchObject([{ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: td(name, 2) }]);
  }

  // UpdateDeployedVersion: the release kept for a rollback (its images tagged in ECR), then the version.
  aws.ssm.set('/production/lastdeployedversion', V1);
  setupReleaseKeeping(aws, ['zed', 'yves', 'glue', 'scheduler'], 100);
  await build(aws, V2, ['zed', 'yves', 'glue', 'scheduler']);
  const up = await aws.runJob(defineStep(updateDeployedVersion, deps), { id: 'job-up', params: updateParams(100), inputs: [...input, IMAGES_INPUT] });
  expect(up.report.kind).toBe('success');
  expect(aws.ssm.parameters.get('/production/lastdeployedversion')!.map((v) => v.value)).toEqual([V1, V2]);
  const kept = aws.dynamodb.records(RELEASE_TABLE) as unknown as DeployedRelease[];
  expect(kept).toHaveLength(1);
  expect(kept[0]).toMatchObject({ version: V2, taskDefinitions: { 'production-zed': 'production-zed:2', 'production-scheduler': 'production-scheduler:2' } });
  for (const uri of kept[0].images) expect(aws.ecr.tagsOf(uri)).toContain(`kept-${V2}`);

  // Post_Deployment_Configuration: everything runs V2.
  const post = await aws.runJob(defineStep(postDeploymentConfiguration, deps), { id: 'job-post', params: { model: MODEL }, inputs: input });
  expect(post.report.body.executionDetails.summary).toBe(`release ${V2}: all 4 services run it (8 tasks)`);

  // Run_post-deploy_hook: none by default, no task.
  const after = await aws.runJob(defineStep(runHook, deps), { id: 'job-after', params: { model: MODEL, hook: 'afterDeploy', taskDefinition: 'release', timeoutMinutes: 30 }, inputs: input });
  expect(after.report.body.executionDetails.summary).toBe("hook afterDeploy: nothing to run (none or 'true'), no task started");
  expect(aws.calls('ECS.RunTask')).toHaveLength(2);
});
