import { DEPLOY_TIMEOUT_MS, judge, step } from '../../lambda/deploy';
import { readZip } from '../../lambda/runtime/artifacts';
import { defineStep } from '../../lambda/runtime/job';
import { clearModelCache } from '../../lambda/runtime/load-model';
import type { ReleaseManifest } from '../../lambda/runtime/release';
import { FakeAws } from '../fakes/aws';
import { fireDeploymentAlarm, useDeploymentAlarms } from '../fakes/ecs-alarms';
import { ARTIFACTS, MODEL, prepareRelease, putArtifact, V2, type ShopOptions, useFakeAws, td } from '../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const RELEASE = { name: 'Release', bucket: ARTIFACTS, key: 'run/Release/release.zip' };
const APP = { model: MODEL, services: 'application' };

/** The shop with a prepared release: revision 2 of every service registered, release.json in S3. */
const prepared = (options: ShopOptions = {}) => prepareRelease(aws, options);
const deploy = (params: object = APP, id = 'job-deploy', options = {}) => aws.runJob(defineStep(step, aws.deps()), { id, params, inputs: [RELEASE] }, options);
const updates = (service?: string) => aws.calls('ECS.UpdateService').filter((u) => !service || u.service === service);

test('a rollout that FAILED (circuit breaker without rollback) names the service, the reason and the stopped tasks', async () => {
  prepared({ circuitBreaker: 'enabled' });
  aws.ecs.nextRollouts.set('production-yves', 'fail');
  const { report } = await deploy();
  expect(report.kind).toBe('failure');
  expect(report.body.failureDetails.message).toMatch(
    /^deployment failed in cluster production: service production-yves: rollout FAILED: ECS deployment circuit breaker: tasks failed to start\..*Stopped tasks: task production-yves-failed-\w+-\d: EssentialContainerExited: Essential container in task exited; container yves exit code 1/,
  );
  expect(updates()).toHaveLength(3);
});

test('a circuit-breaker rollback to the old revision is a failure, even though the service is stable', async () => {
  prepared();
  aws.ecs.nextRollouts.set('production-glue', 'fail');
  const { report } = await deploy(APP, 'job-rb', { lambdaMs: 60_000 });
  expect(report.body.failureDetails.message).toMatch(
    /service production-glue: the circuit breaker rolled back the release: the service returned to production-glue:1 \(deployment ecs-svc\/\d+, IN_PROGRESS\)\. Release deployment ecs-svc\/\d+ FAILED: ECS deployment circuit breaker: tasks failed to start\. Latest events: \(service production-glue\) rolling back to deployment ecs-svc\/\d+\. Stopped tasks: /,
  );
  expect(report.body.failureDetails.message).toMatch(/Stopped tasks: task production-glue-failed/);
  expect(updates('production-glue')).toHaveLength(1);
});

test('a rollback noticed only after it finished (our deployment gone) still fails, naming the revision it returned to', async () => {
  prepared();
  aws.ecs.nextRollouts.set('production-glue', 'fail');
  const handler = defineStep(step, aws.deps());
  await handler(aws.event({ id: 'job-a', params: APP, inputs: [RELEASE] }), aws.context(20_000));
  const token = aws.codepipeline.reports[0].body.continuationToken;
  aws.clock.advance(600_000); // the rollback completes meanwhile
  await handler(aws.event({ id: 'job-b', params: APP, inputs: [RELEASE], continuationToken: token }), aws.context());
  expect(aws.codepipeline.reports[1].body.failureDetails.message).toMatch(
    /service production-glue: the release deployment on production-glue:2 is no longer the service's \(gone\); the service runs production-glue:1 \(deployment ecs-svc\/\d+, COMPLETED\)/,
  );
});

test('a service missing from the cluster is a ConfigurationError before any UpdateService', async () => {
  prepared();
  aws.ecs.services.delete('production-yves');
  const { report } = await deploy();
  expect(report.body.failureDetails).toEqual({
    type: 'ConfigurationError',
    message: expect.stringMatching(/^ECS service\(s\) production-yves not found \(or not ACTIVE\) in cluster production/),
  });
  expect(updates()).toHaveLength(0);
});

test('AccessDenied on one UpdateService is a PermissionError that says which services already roll out', async () => {
  prepared();
  aws.fail('ECS.UpdateService', 'AccessDeniedException', 'not authorized to perform: ecs:UpdateService on production-zed');
  const { report } = await deploy();
  expect(report.body.failureDetails.type).toBe('PermissionError');
  expect(report.body.failureDetails.message).toMatch(/^ECS UpdateService production-\w+ to production-\w+:2 in cluster production failed: AccessDeniedException: .*\. Already rolling out \(they continue\): production-\w+, production-\w+$/);
});

test('throttling is retried by the SDK: one deployment per service, success', async () => {
  prepared();
  aws.fail('ECS.UpdateService', 'ThrottlingException', 'Rate exceeded', 2);
  aws.fail('ECS.DescribeServices', 'ThrottlingException', 'Rate exceeded', 1);
  const { report } = await deploy();
  expect(report.kind).toBe('success');
  expect(updates()).toHaveLength(5); // 3 services + 2 throttled attempts
  for (const name of ['production-zed', 'production-yves', 'production-glue']) {
    expect(aws.ecs.services.get(name)!.deployments).toHaveLength(1);
    expect(aws.ecs.services.get(name)!.deployments[0]).toMatchObject({ taskDefinition: td(name, 2), rolloutState: 'COMPLETED' });
  }
});

test('throttling beyond the retries fails with a message that says to retry', async () => {
  prepared();
  aws.fail('ECS.DescribeServices', 'ThrottlingException', 'Rate exceeded', 3);
  const { report } = await deploy();
  expect(report.body.failureDetails.message).toMatch(/^ECS DescribeServices \(production-zed, production-yves, production-glue\) in cluster production failed: ThrottlingException: Rate exceeded \(still throttled after 3 attempts: retry the stage\)$/);
});

test('duplicate delivery: the second delivery finds the release primary and starts no deployment', async () => {
  prepared();
  const handler = defineStep(step, aws.deps());
  const event = aws.event({ id: 'job-dup', params: APP, inputs: [RELEASE] });
  await handler(event, aws.context(20_000));
  await handler(event, aws.context(20_000));
  expect(updates()).toHaveLength(3);
  for (const name of ['production-zed', 'production-yves', 'production-glue']) {
    expect(aws.ecs.services.get(name)!.deployments.filter((d) => d.taskDefinition === td(name, 2))).toHaveLength(1);
  }
  expect(aws.codepipeline.reports).toHaveLength(1);
  // The job runtime's exactly-once record: the later duplicate does nothing, reports nothing.
  expect(aws.calls('CodePipeline.PutJobSuccessResult')).toHaveLength(1);
});

test('a corrupted continuation token fails without touching ECS', async () => {
  prepared();
  await defineStep(step, aws.deps())(aws.event({ id: 'job-y', params: APP, inputs: [RELEASE], continuationToken: '!!' }), aws.context());
  expect(aws.codepipeline.reports[0].body.failureDetails.message).toMatch(/^continuation token is corrupted/);
  expect(updates()).toHaveLength(0);
});

test('with the Lambda time nearly spent no UpdateService starts', async () => {
  prepared();
  await defineStep(step, aws.deps())(aws.event({ id: 'job-late', params: APP, inputs: [RELEASE] }), aws.context(5_000));
  expect(aws.codepipeline.reports[0]).toMatchObject({ kind: 'success', body: { continuationToken: expect.any(String) } });
  expect(aws.requests.filter((r) => r.op.startsWith('ECS.'))).toEqual([]);
});

test('without the circuit breaker a service is done when all tasks run the release and no other deployment is left', async () => {
  prepared({ circuitBreaker: 'off' });
  const { report } = await deploy();
  expect(report.kind).toBe('success');
  aws.ecs.nextRollouts.set('production-zed', 'stall');
  clearModelCache();
  const handler = defineStep(step, aws.deps());
  const current = { ...APP, revision: 'current' };
  await handler(aws.event({ id: 'job-stall', params: current, inputs: [RELEASE] }), aws.context(60_000));
  aws.clock.advance(DEPLOY_TIMEOUT_MS); // an hour later one zed task still runs the old deployment
  await handler(aws.event({ id: 'job-stall-2', params: current, inputs: [RELEASE], continuationToken: aws.codepipeline.reports.at(-1)!.body.continuationToken }), aws.context());
  expect(aws.codepipeline.reports.at(-1)!.body.failureDetails.message).toMatch(/^deployment timed out after 6\d min in cluster production: still rolling out production-zed \(1\/2 tasks on production-zed:2, 1 older deployment\(s\) draining\)/);
});

test("revision 'current' redeploys each service on its current task definition, tracked to completion", async () => {
  prepared();
  const { report } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-cur', params: { model: MODEL, services: 'scheduler', revision: 'current' } });
  expect(report.body.executionDetails.summary).toMatch(/^1 service\(s\) on a fresh deployment after \d+ s: production-scheduler$/);
  expect(updates()).toEqual([{ cluster: 'production', service: 'production-scheduler', taskDefinition: td('production-scheduler', 1), forceNewDeployment: true }]);
  expect(aws.requests.some((r) => r.op.startsWith('S3.'))).toBe(false);
});


test('a release.json without the service fails before any UpdateService', async () => {
  prepared();
  putArtifact(aws, RELEASE, { 'release.json': JSON.stringify({ v: 1, env: 'production', version: V2, preparedAt: '2026-01-01T00:00:00.000Z', services: [] }) });
  const { report } = await deploy();
  expect(report.body.failureDetails.message).toMatch(/^release 2{40} refused, nothing was changed: it has no task definition for service production-zed; it has no task definition for service production-yves; .*Rerun the pipeline from Pre_Deployment_Configuration/);
  expect(updates()).toHaveLength(0);
});

test('a model reordered (and a service moved) mid-deployment does not fail healthy rollouts', async () => {
  const model = prepared({ apps: ['zed', 'yves', 'glue', 'backoffice'] });
  const handler = defineStep(step, aws.deps());
  await handler(aws.event({ id: 'job-a', params: APP, inputs: [RELEASE] }), aws.context(20_000));
  const token = aws.codepipeline.reports[0].body.continuationToken;
  expect(token).toBeDefined();
  aws.ssm.set(MODEL, JSON.stringify({ ...model, services: [...model.services].reverse() }));
  clearModelCache();
  const { report } = await aws.runJob(handler, { id: 'job-b', params: APP, inputs: [RELEASE], continuationToken: token });
  expect(report.kind).toBe('success');
  expect(report.body.executionDetails.summary).toMatch(/: production-backoffice, production-glue, production-yves, production-zed$/);
  expect(updates()).toHaveLength(4);
});

test('one throttled poll (beyond the SDK retries) is retried at the next check: success, one UpdateService per service', async () => {
  prepared();
  const handler = defineStep(step, aws.deps());
  await handler(aws.event({ id: 'job-a', params: APP, inputs: [RELEASE] }), aws.context(20_000));
  aws.fail('ECS.DescribeServices', 'ThrottlingException', 'Rate exceeded', 3);
  const { report } = await aws.runJob(handler, { id: 'job-b', params: APP, inputs: [RELEASE], continuationToken: aws.codepipeline.reports[0].body.continuationToken });
  expect(report.kind).toBe('success');
  expect(updates()).toHaveLength(3);
  expect(aws.calls('ECS.DescribeServices').length).toBeGreaterThan(4);
});

test('reads that keep failing fail the stage after the bounded time, saying so', async () => {
  prepared();
  const handler = defineStep(step, aws.deps());
  await handler(aws.event({ id: 'job-a', params: APP, inputs: [RELEASE] }), aws.context(20_000));
  const started = aws.clock.now;
  aws.fail('ECS.DescribeServices', 'ServiceUnavailableException', 'Service unavailable', 10_000, 503);
  const { report } = await aws.runJob(handler, { id: 'job-b', params: APP, inputs: [RELEASE], continuationToken: aws.codepipeline.reports[0].body.continuationToken });
  expect(report.body.failureDetails.message).toMatch(/^reads kept failing for 3\d\d s \(the limit is 300 s\); the last: ECS DescribeServices \(production-zed, production-yves, production-glue\) in cluster production failed: ServiceUnavailableException/);
  expect(aws.clock.now - started).toBeLessThan(7 * 60_000);
  expect(updates()).toHaveLength(3);
});

test('without a circuit breaker, a rollout whose new tasks keep stopping fails early with their reasons', async () => {
  prepared({ circuitBreaker: 'off' });
  aws.ecs.nextRollouts.set('production-yves', 'crash');
  const started = aws.clock.now;
  const { report } = await deploy();
  expect(report.body.failureDetails.message).toMatch(
    /^deployment failed in cluster production: service production-yves: [4-9] tasks of the release deployment ecs-svc\/\d+ stopped \(0\/2 running, no circuit breaker to stop it\): the new revision production-yves:2 does not stay up\. Stopped tasks: task production-yves-failed-\w+-\d: EssentialContainerExited: Essential container in task exited; container yves exit code 1/,
  );
  expect(aws.clock.now - started).toBeLessThan(5 * 60_000); // not the 60-minute timeout
  expect(updates()).toHaveLength(3);
});

test('a release of another environment, or naming a foreign task-definition family, is refused before any UpdateService', async () => {
  prepared();
  const original = readRelease();
  const release = (edit: (r: ReleaseManifest) => ReleaseManifest) => putArtifact(aws, RELEASE, { 'release.json': JSON.stringify(edit(JSON.parse(original))) });
  release((r) => ({ ...r, env: 'staging' }));
  const other = await deploy(APP, 'job-env');
  expect(other.report.body.failureDetails.message).toMatch(/^release 2{40} refused, nothing was changed: it is for environment 'staging', this pipeline deploys 'production'\./);
  release((r) => ({ ...r, services: r.services.map((s) => (s.service === 'production-yves' ? { ...s, taskDefinition: td('attacker-tools', 1) } : s)) }));
  const foreign = await deploy(APP, 'job-family');
  expect(foreign.report.body.failureDetails.message).toMatch(
    /refused, nothing was changed: service production-yves would run "arn:aws:ecs:eu-central-1:123456789012:task-definition\/attacker-tools:1", not a revision of its own family arn:aws:ecs:eu-central-1:123456789012:task-definition\/production-yves\./,
  );
  expect(updates()).toHaveLength(0);
});

/** release.json as the fake's S3 holds it. */
function readRelease(): string {
  const zip = aws.objects.get(`/${RELEASE.bucket}/${RELEASE.key}`)!;
  return readZip(zip).get('release.json')!.toString();
}

describe('judge: when one service counts as finished', () => {
  const TARGET = td('production-zed', 2);
  const at = (s: number) => new Date(Date.parse('2025-03-01T10:00:00Z') + s * 1000);
  const deployment = (over: object) => ({ id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: TARGET, desiredCount: 2, runningCount: 2, rolloutState: 'IN_PROGRESS', createdAt: at(10), ...over });
  const old = { id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: td('production-zed', 1), desiredCount: 2, runningCount: 2, rolloutState: 'COMPLETED', createdAt: at(0) };
  const service = (breaker: boolean, deployments: object[]) => ({ deploymentConfiguration: { deploymentCircuitBreaker: { enable: breaker, rollback: breaker } }, deployments }) as never;

  test('without a breaker: all tasks running and no other deployment left; with one: COMPLETED', () => {
    expect(judge(service(false, [deployment({}), old]), TARGET)).toMatchObject({ done: false, waiting: '2/2 tasks on production-zed:2, 1 older deployment(s) draining' });
    expect(judge(service(false, [deployment({ runningCount: 1 })]), TARGET)).toMatchObject({ done: false, waiting: '1/2 tasks on production-zed:2' });
    expect(judge(service(false, [deployment({ runningCount: 0, desiredCount: 0 }), old]), TARGET)).toMatchObject({ done: false });
    expect(judge(service(false, [deployment({})]), TARGET)).toEqual({ done: true });
    // The breaker's rollout state decides, not the task count.
    expect(judge(service(true, [deployment({})]), TARGET)).toMatchObject({ done: false });
    expect(judge(service(true, [deployment({ rolloutState: 'COMPLETED', runningCount: 1 }), old]), TARGET)).toEqual({ done: true });
  });

  test('a PRIMARY deployment on another task definition than the release target is rejected', () => {
    const other = deployment({ id: 'ecs-svc/3', taskDefinition: td('production-zed', 7), rolloutState: 'COMPLETED', createdAt: at(20) });
    const verdict = judge(service(true, [other, deployment({ status: 'ACTIVE' })]), TARGET);
    expect(verdict).toEqual({
      failed: "the release deployment on production-zed:2 (ecs-svc/2) is no longer the service's (ACTIVE); the service runs production-zed:7 (deployment ecs-svc/3, COMPLETED): a circuit-breaker rollback or another deployment replaced it.",
      deployment: 'ecs-svc/2',
    });
    expect(judge(service(false, [other]), TARGET)).toMatchObject({ failed: expect.stringMatching(/^the release deployment on production-zed:2 is no longer the service's \(gone\)/) });
  });

  test("revision 'current': ours is the newest deployment created since the rollouts started", () => {
    expect(judge(service(true, [old]), undefined, at(5).getTime())).toMatchObject({ failed: expect.stringMatching(/since the rollouts started is no longer/) });
    expect(judge(service(true, [deployment({ rolloutState: 'COMPLETED', taskDefinition: td('production-zed', 1) }), old]), undefined, at(5).getTime())).toEqual({ done: true });
  });
});

describe('services with ECS deployment alarms', () => {
  /** Starts the rollout (one invocation), lets an alarm fire, and resumes. */
  async function alarmedRollout(alarmNames: string[], rollback: boolean) {
    prepared();
    useDeploymentAlarms(aws.ecs, 'production-yves', alarmNames, rollback);
    const handler = defineStep(step, aws.deps());
    await handler(aws.event({ id: 'job-alarm-a', params: APP, inputs: [RELEASE] }), aws.context(20_000));
    const token = aws.codepipeline.reports[0].body.continuationToken;
    expect(token).toBeDefined();
    fireDeploymentAlarm(aws.ecs, aws.clock, 'production-yves');
    await handler(aws.event({ id: 'job-alarm-b', params: APP, inputs: [RELEASE], continuationToken: token }), aws.context());
    return aws.codepipeline.reports[1];
  }

  test('an alarm-triggered rollback is reported as such, naming the alarm', async () => {
    const report = await alarmedRollout(['production-yves-5xx'], true);
    expect(report.kind).toBe('failure');
    expect(report.body.failureDetails.message).toMatch(
      /service production-yves: ECS rolled back the release on its deployment alarm production-yves-5xx \(ALARM\): the service returned to production-yves:1 \(deployment ecs-svc\/\d+, IN_PROGRESS\)\. Release deployment ecs-svc\/\d+ FAILED: no reason given\. Latest events: \(service production-yves\) rolling back to deployment ecs-svc\/\d+\. \/ \(service production-yves\) \(deployment ecs-svc\/\d+\) deployment failed: alarm detected\./,
    );
    expect(report.body.failureDetails.message).not.toContain('circuit breaker rolled back');
  });

  test('several alarms without rollback: the failed rollout names the candidates', async () => {
    const report = await alarmedRollout(['yves-5xx', 'yves-latency'], false);
    expect(report.body.failureDetails.message).toContain(
      "service production-yves: rollout FAILED on one of its deployment alarms yves-5xx, yves-latency (ALARM; the alarms' history shows which): no reason given.",
    );
  });

  test('a circuit-breaker rollback of a service that also has alarms stays a circuit-breaker rollback', async () => {
    prepared();
    useDeploymentAlarms(aws.ecs, 'production-glue', ['glue-5xx']);
    aws.ecs.nextRollouts.set('production-glue', 'fail');
    const { report } = await deploy(APP, 'job-cb-alarms', { lambdaMs: 60_000 });
    expect(report.body.failureDetails.message).toContain('service production-glue: the circuit breaker rolled back the release');
    expect(report.body.failureDetails.message).not.toContain('glue-5xx');
  });
});
