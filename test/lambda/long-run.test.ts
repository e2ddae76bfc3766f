/**
 * A year and more of daily deployments on the fake, with AWS's limits enforced as AWS enforces
 * them (SSM's 100 versions, ECR's lifecycle evaluation after every push and every deploy, DynamoDB's
 * item size): 400 releases V1 → V400 through Please_approve's version step, the build's ECR
 * behaviour, Pre_Deployment_Configuration, Deploy_Scheduler, Deploy_Spryker_services and
 * UpdateDeployedVersion; then rollbacks (desired_version) to the 300th and to the oldest kept release.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { step as deploy } from '../../lambda/deploy';
import { createHandler as prepareVersion } from '../../lambda/prepare-version';
import type { PrepareVersionParams } from '../../lib/contracts/params';
import { step as preDeploymentConfiguration } from '../../lambda/pre-deployment-configuration';
import { defineStep } from '../../lambda/runtime/job';
import type { DeployedRelease } from '../../lambda/runtime/release';
import { step as updateDeployedVersion } from '../../lambda/update-deployed-version';
import { SSM_MAX_VERSIONS, type FakeAws } from '../fakes/aws';
import { build, RELEASE_TABLE, setupReleaseKeeping, updateParams } from '../fakes/releases';
import { IMAGES_INPUT, MODEL, RELEASE_OUTPUT, setupShop, useFakeAws } from '../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const DEPLOYMENTS = 400;
/** More than the default 100, so that the 300th of 400 releases is still kept. */
const KEEP = 120;
const IMAGE_KEYS = ['zed', 'yves', 'scheduler'];
const DAY_MS = 86_400_000;
const version = (n: number) => n.toString(16).padStart(40, '0');
const DESIRED = '/production/desired_version';
const LAST = '/production/lastdeployedversion';

test(`${DEPLOYMENTS} daily deployments, then rollbacks to the 300th and to the oldest kept release: every one succeeds, no image is missing`, async () => {
  const started = Date.now();
  setupShop(aws, { apps: ['zed', 'yves'] });
  setupReleaseKeeping(aws, IMAGE_KEYS, KEEP);
  aws.ssm.set(DESIRED, 'latest');
  aws.ssm.set(LAST, 'none');
  // Time compressed: each poll's wait lasts two minutes of fake time, so a 2-minute rollout takes 2 checks.
  const deps = { ...aws.deps(), sleep: async () => aws.clock.advance(120_000) };
  const versions = prepareVersion({ ...deps, ssm: new SSMClient(deps.clientConfig!) });
  const steps = { prepare: defineStep(preDeploymentConfiguration, deps), deploy: defineStep(deploy, deps), update: defineStep(updateDeployedVersion, deps) };
  const failures: string[] = [];
  const expired: string[] = [];
  let job = 0;

  /** One pipeline execution for a source commit; returns VERSION and what the build had to build. */
  async function run(sourceCommit: string) {
    const id = `job-${++job}`;
    const expect1 = (what: string, r: { report: { kind: string; body: any } }) => {
      if (r.report.kind !== 'success') failures.push(`${id} ${what}: ${r.report.body.failureDetails?.message}`);
    };
    const params: PrepareVersionParams = { sourceVersion: sourceCommit, desiredVersionParameter: DESIRED, lastDeployedVersionParameter: LAST };
    const resolved = await aws.runJob(versions, { id: `${id}-versions`, params });
    expect1('Prepare_versions', resolved);
    const deployed = resolved.report.body.outputVariables?.VERSION as string;
    const { built } = await build(aws, deployed, IMAGE_KEYS);
    expired.push(...aws.ecr.evaluateLifecycle());
    expect1('Pre_Deployment_Configuration', await aws.runJob(steps.prepare, { id: `${id}-prep`, params: { model: MODEL }, inputs: [IMAGES_INPUT], outputs: [RELEASE_OUTPUT] }));
    expect1('Deploy_Scheduler', await aws.runJob(steps.deploy, { id: `${id}-sched`, params: { model: MODEL, services: 'scheduler' }, inputs: [RELEASE_OUTPUT] }));
    expect1('Deploy_Spryker_services', await aws.runJob(steps.deploy, { id: `${id}-deploy`, params: { model: MODEL, services: 'application' }, inputs: [RELEASE_OUTPUT] }));
    expect1('UpdateDeployedVersion', await aws.runJob(steps.update, { id: `${id}-up`, params: updateParams(KEEP), inputs: [RELEASE_OUTPUT, IMAGES_INPUT] }));
    expired.push(...aws.ecr.evaluateLifecycle());
    aws.clock.advance(DAY_MS);
    return { deployed, built };
  }

  /** Every image the live services run, and every kept release's, is still in ECR. */
  function missingImages(): string[] {
    const live = [...aws.ecs.services.values()].flatMap((s) => (aws.ecs.definitions.get(s.taskDefinition)!.containerDefinitions as { image: string }[]).map((c) => c.image));
    const kept = aws.dynamodb.records(RELEASE_TABLE).flatMap((r) => (r as unknown as DeployedRelease).images);
    return [...live.filter((i) => i.includes('.dkr.ecr.')), ...kept].filter((uri) => !aws.ecr.exists(uri));
  }

  let previousMissing: string[] = [];
  for (let n = 1; n <= DEPLOYMENTS; n++) {
    const { deployed } = await run(version(n));
    if (deployed !== version(n)) failures.push(`deployment ${n} deployed ${deployed}`);
    // Checked every 25 deployments (cheap enough, and the 100th/101st are among them).
    if (n % 25 === 0 || n === 101) previousMissing = [...previousMissing, ...missingImages()];
  }
  expect(failures).toEqual([]);
  expect(previousMissing).toEqual([]);

  // The history holds exactly the newest KEEP releases; their images carry the protective tag.
  const kept = (aws.dynamodb.records(RELEASE_TABLE) as unknown as DeployedRelease[]).sort((a, b) => a.deployedAt.localeCompare(b.deployedAt));
  expect(kept).toHaveLength(KEEP);
  expect(kept[0].version).toBe(version(DEPLOYMENTS - KEEP + 1));
  expect(kept[0]).toMatchObject({ v: 2, env: 'production', taskDefinitions: { 'production-zed': expect.stringMatching(/^production-zed:\d+$/) } });
  expect(aws.ecr.tagsOf(kept[0].images[0]).sort()).toEqual([kept[0].version, `kept-${kept[0].version}`]);
  // Images neither kept nor among the newest 30 did expire: the repositories stay bounded.
  const pruned = version(DEPLOYMENTS - KEEP);
  expect(expired.some((uri) => aws.ecr.exists(uri))).toBe(false);
  expect(expired).toHaveLength((DEPLOYMENTS - KEEP) * IMAGE_KEYS.length);
  expect([...aws.ecr.repositories.values()].map((r) => r.images.length)).toEqual(IMAGE_KEYS.map(() => KEEP));
  expect([...aws.ecr.repositories.values()].every((r) => !r.images.some((i) => i.tags.has(pruned)))).toBe(true);

  // The version parameters are written every run, never labelled: SSM drops the oldest, writes keep working.
  expect(aws.calls('SSM.LabelParameterVersion')).toEqual([]);
  const last = aws.ssm.parameters.get(LAST)!;
  expect(last).toHaveLength(SSM_MAX_VERSIONS);
  expect(last[last.length - 1]).toMatchObject({ version: DEPLOYMENTS + 1, value: version(DEPLOYMENTS) });

  // Rollback to the 300th release, then to the oldest kept one: desired_version, as a person does it.
  for (const target of [version(300), kept[0].version]) {
    aws.ssm.set(DESIRED, target);
    const { deployed, built } = await run(version(DEPLOYMENTS));
    expect(failures).toEqual([]);
    expect(deployed).toBe(target);
    // Build_and_Prepare found every image in ECR: nothing rebuilt.
    expect(built).toEqual([]);
    for (const s of aws.ecs.services.values()) {
      const images = (aws.ecs.definitions.get(s.taskDefinition)!.containerDefinitions as { image: string }[]).map((c) => c.image).filter((i) => i.includes('.dkr.ecr.'));
      expect(images).toHaveLength(1);
      expect(aws.ecr.exists(images[0])).toBe(true);
      expect(aws.ecr.tagsOf(images[0])).toContain(target);
    }
    expect(aws.ssm.parameters.get(LAST)!.at(-1)!.value).toBe(target);
  }
  expect(missingImages()).toEqual([]);
  // A rollback moves the release to the newest; the history stays at KEEP.
  expect(aws.dynamodb.records(RELEASE_TABLE)).toHaveLength(KEEP);
  console.info(`long run: ${DEPLOYMENTS + 2} deployments in ${Date.now() - started} ms, ${aws.requests.length} API calls`);
}, 300_000); // ~35 s of CPU; the bound leaves room for a machine shared with the rest of the suite
