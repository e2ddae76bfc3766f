import { step } from '../../lambda/deploy';
import { defineStep, encodeToken } from '../../lambda/runtime/job';
import { clearModelCache } from '../../lambda/runtime/load-model';
import type { ReleaseManifest } from '../../lambda/runtime/release';
import { FakeAws } from '../fakes/aws';
import { ARTIFACTS, MODEL, putArtifact, setupShop, V2, type ShopOptions, useFakeAws, td } from '../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const RELEASE = { name: 'Release', bucket: ARTIFACTS, key: 'run/Release/release.zip' };
const APP = { model: MODEL, services: 'application' };

/** The shop with a prepared release: revision 2 of every service registered, release.json in S3. */
function prepared(options: ShopOptions = {}) {
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
  putArtifact(aws, RELEASE, { 'release.json': JSON.stringify(release) });
  return model;
}
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
    /service production-glue: the release deployment ecs-svc\/\d+ is no longer the service's \(gone\); the service runs production-glue:1 \(deployment ecs-svc\/\d+, COMPLETED\)/,
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
  await defineStep(step, aws.deps())(aws.event({ id: 'job-x', params: APP, inputs: [RELEASE], continuationToken: encodeToken({ startedAt: 1, deployments: ['1'] }) }), aws.context());
  expect(aws.codepipeline.reports[0].body.failureDetails.message).toBe(
    'the model lists 3 services, the deployment started with 1: the model changed during the deployment; retry the stage',
  );
  await defineStep(step, aws.deps())(aws.event({ id: 'job-y', params: APP, inputs: [RELEASE], continuationToken: '!!' }), aws.context());
  expect(aws.codepipeline.reports[1].body.failureDetails.message).toMatch(/^continuation token is corrupted/);
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
  const stalled = await deploy({ ...APP, revision: 'current' }, 'job-stall');
  expect(stalled.report.body.failureDetails.message).toMatch(/^deployment timed out after 6\d min in cluster production: still rolling out production-zed \(1\/2 tasks on production-zed:2\)/);
});

test("revision 'current' redeploys each service on its current task definition, tracked to completion", async () => {
  prepared();
  const { report } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-cur', params: { model: MODEL, services: 'scheduler', revision: 'current' } });
  expect(report.body.executionDetails.summary).toMatch(/^1 service\(s\) on a fresh deployment after \d+ s: production-scheduler$/);
  expect(updates()).toEqual([{ cluster: 'production', service: 'production-scheduler', taskDefinition: td('production-scheduler', 1), forceNewDeployment: true }]);
  expect(aws.requests.some((r) => r.op.startsWith('S3.'))).toBe(false);
});

test('a 50-service shop: the continuation token stays under 2048 characters', async () => {
  prepared({ apps: Array.from({ length: 50 }, (_, i) => `app-with-a-long-name-${i}`) });
  const handler = defineStep(step, aws.deps());
  await handler(aws.event({ id: 'job-50', params: APP, inputs: [RELEASE] }), aws.context(20_000));
  const token: string = aws.codepipeline.reports[0].body.continuationToken;
  expect(updates()).toHaveLength(50);
  // The state outgrew an inline token: the runtime stored it, the token points to it.
  expect(token.length).toBeLessThan(200);
  expect((aws.tokenState(token, 'job-50') as { deployments: string[] }).deployments).toHaveLength(50);
});

test('a release.json without the service fails before any UpdateService', async () => {
  prepared();
  putArtifact(aws, RELEASE, { 'release.json': JSON.stringify({ v: 1, env: 'production', version: V2, preparedAt: '', services: [] }) });
  const { report } = await deploy();
  expect(report.body.failureDetails.message).toMatch(/^release 2{40} has no task definition for service production-zed \(it has: \): the model changed/);
  expect(updates()).toHaveLength(0);
});
