import type { Deployment, Service } from '@aws-sdk/client-ecs';
import { judge, step } from '../../lambda/deploy';
import { defineStep } from '../../lambda/runtime/job';
import type { FakeAws } from '../fakes/aws';
import { MODEL, prepareRelease, RELEASE_OUTPUT, td, useFakeAws, V2 } from '../fakes/shop';

// judge(): where one service's deployment stands, for every shape ECS can report (mutation
// testing showed the circuit breaker, the target revision and the progress unpinned).

const ID = 'ecs-svc/111';
const TARGET = 'arn:aws:ecs:eu-central-1:1:task-definition/production-zed:2';
const OLD = 'arn:aws:ecs:eu-central-1:1:task-definition/production-zed:1';

const deployment = (d: Partial<Deployment>): Deployment => ({ id: ID, status: 'PRIMARY', taskDefinition: TARGET, desiredCount: 2, runningCount: 2, ...d });
function service(deployments: Deployment[], options: { breaker?: boolean; events?: string[] } = {}): Service {
  return {
    serviceName: 'production-zed',
    deployments,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: options.breaker ?? true, rollback: true } },
    events: (options.events ?? []).map((message) => ({ message })),
  };
}

describe('circuit breaker on: finished only when our PRIMARY deployment is COMPLETED', () => {
  test('COMPLETED on the target is done', () => {
    expect(judge(service([deployment({ rolloutState: 'COMPLETED' })]), TARGET)).toEqual({ done: true });
  });

  test('IN_PROGRESS with every task running is still waiting, with its progress', () => {
    expect(judge(service([deployment({ rolloutState: 'IN_PROGRESS' }), deployment({ id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: OLD })]), TARGET)).toEqual({
      done: false,
      progress: 0.99,
      waiting: '2/2 tasks on production-zed:2',
    });
    expect(judge(service([deployment({ rolloutState: 'IN_PROGRESS', runningCount: 1 })]), TARGET)).toEqual({
      done: false,
      progress: 0.495,
      waiting: '1/2 tasks on production-zed:2',
    });
  });

  test('progress: none without desired tasks, at most 0.99 with more running than desired, none without counts', () => {
    expect(judge(service([deployment({ rolloutState: 'IN_PROGRESS', desiredCount: 0, runningCount: 0 })]), TARGET)).toMatchObject({ progress: 0, waiting: '0/0 tasks on production-zed:2' });
    expect(judge(service([deployment({ rolloutState: 'IN_PROGRESS', desiredCount: 2, runningCount: 3 })]), TARGET)).toMatchObject({ progress: 0.99 });
    expect(judge(service([deployment({ rolloutState: 'IN_PROGRESS', desiredCount: undefined, runningCount: undefined })]), TARGET)).toMatchObject({
      progress: 0,
      waiting: '0/0 tasks on production-zed:2',
    });
  });

  test('FAILED while PRIMARY fails with the reason (one period) and the two latest events', () => {
    const events = ['(service production-zed) has started 1 tasks.', '', '(service production-zed) deployment failed.', 'older'];
    expect(judge(service([deployment({ rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' })], { events }), TARGET)).toEqual({
      failed: 'rollout FAILED: ECS deployment circuit breaker: tasks failed to start. Latest events: (service production-zed) has started 1 tasks.',
      deployment: ID,
    });
    expect(judge(service([deployment({ rolloutState: 'FAILED' })]), TARGET)).toEqual({ failed: 'rollout FAILED: no reason given.', deployment: ID });
    expect(judge(service([deployment({ rolloutState: 'FAILED', rolloutStateReason: 'r.' })], { events: ['newest', 'older', 'oldest'] }), TARGET)).toEqual({
      failed: 'rollout FAILED: r. Latest events: newest / older',
      deployment: ID,
    });
  });
});

describe('circuit breaker off: no rollout state to trust', () => {
  const off = { breaker: false };

  test('done when all its tasks run and no other deployment is left', () => {
    expect(judge(service([deployment({ rolloutState: 'IN_PROGRESS' })], off), TARGET)).toEqual({ done: true });
  });

  test('not done with no task running, even if ECS calls it COMPLETED', () => {
    expect(judge(service([deployment({ rolloutState: 'COMPLETED', runningCount: 0 })], off), TARGET)).toMatchObject({
      done: false,
      progress: 0,
      waiting: '0/2 tasks on production-zed:2',
    });
  });

  test('not done while the old deployment is still live', () => {
    const old = deployment({ id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: OLD });
    expect(judge(service([deployment({ rolloutState: 'COMPLETED' }), old], off), TARGET)).toMatchObject({ done: false });
  });

  test('a service without a deployment configuration counts as breaker off', () => {
    const s = { ...service([deployment({ rolloutState: 'COMPLETED', runningCount: 1 })]), deploymentConfiguration: undefined };
    expect(judge(s, TARGET)).toMatchObject({ done: false, waiting: '1/2 tasks on production-zed:2' });
  });
});

describe('our deployment is not the one on the release', () => {
  test('PRIMARY with our id on another task definition than the release target is rejected', () => {
    expect(judge(service([deployment({ rolloutState: 'COMPLETED', taskDefinition: OLD })]), TARGET)).toEqual({
      failed: "the release deployment on production-zed:2 is no longer the service's (gone); the service runs production-zed:1 (deployment ecs-svc/111, COMPLETED): a circuit-breaker rollback or another deployment replaced it.",
      deployment: undefined,
    });
  });

  test('without a target (redeploying the current revision) any task definition of ours is accepted', () => {
    expect(judge(service([deployment({ rolloutState: 'COMPLETED', taskDefinition: OLD })]), undefined)).toEqual({ done: true });
  });

  test('rolled back by the circuit breaker: the service returned to the old deployment', () => {
    // Ours listed first: the service's state is read from its PRIMARY deployment, wherever it is listed.
    const rolledBack = service(
      [deployment({ status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'tasks failed' }), deployment({ id: 'ecs-svc/old', taskDefinition: OLD, rolloutState: 'COMPLETED' })],
      { events: ['rolling back'] },
    );
    expect(judge(rolledBack, TARGET)).toEqual({
      failed:
        'the circuit breaker rolled back the release: the service returned to production-zed:1 (deployment ecs-svc/old, COMPLETED). Release deployment ecs-svc/111 FAILED: tasks failed. Latest events: rolling back',
      deployment: ID,
    });
  });

  test('replaced by another deployment, or gone, or no primary at all', () => {
    const other = deployment({ id: 'ecs-svc/other', taskDefinition: OLD, rolloutState: undefined });
    expect(judge(service([other, deployment({ status: 'INACTIVE', rolloutState: 'COMPLETED' })]), TARGET)).toEqual({
      failed: "the release deployment on production-zed:2 (ecs-svc/111) is no longer the service's (INACTIVE); the service runs production-zed:1 (deployment ecs-svc/other, PRIMARY): a circuit-breaker rollback or another deployment replaced it.",
      deployment: ID,
    });
    expect(judge(service([other]), TARGET)).toMatchObject({ failed: expect.stringContaining("no longer the service's (gone)") });
    expect(judge(service([]), TARGET)).toEqual({
      failed: "the release deployment on production-zed:2 is no longer the service's (gone); the service runs no primary deployment: a circuit-breaker rollback or another deployment replaced it.",
      deployment: undefined,
    });
    expect(judge({ serviceName: 'production-zed' }, TARGET)).toMatchObject({ failed: expect.stringContaining('no primary deployment') });
  });
});

describe('the deploy step on the fake AWS: what a person reads, and what ECS is asked', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const run = (params: object, options: { lambdaMs?: number } = {}) =>
    aws.runJob(defineStep(step, aws.deps()), { id: 'job-deploy', params: { model: MODEL, services: 'application', ...params }, inputs: [RELEASE_OUTPUT] }, options);
  const details = () => aws.codepipeline.reports.map((r) => r.body.executionDetails ?? r.body.failureDetails);

  test('continuations say who is waiting on what, with a percentage; done names the release and the services', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'] });
    await run({}, { lambdaMs: 40_000 });
    expect(details()).toEqual([
      { summary: '0/2 services rolled out after 25 s; waiting for production-zed (0/2 tasks on production-zed:2), production-yves (0/2 tasks on production-yves:2)', percentComplete: 0 },
      { summary: '0/2 services rolled out after 80 s; waiting for production-zed (1/2 tasks on production-zed:2), production-yves (1/2 tasks on production-yves:2)', percentComplete: 50 },
      { summary: `2 service(s) on release ${V2} after 120 s: production-zed, production-yves`, percentComplete: 100 },
    ]);
    expect(aws.calls('ECS.UpdateService')).toEqual(
      ['production-zed', 'production-yves'].map((service) => ({ service, cluster: 'production', taskDefinition: td(service, 2), forceNewDeployment: false })),
    );
    expect((console.log as jest.Mock).mock.calls.map((c) => String(c[0])).filter((l) => l.includes('rollouts'))).toEqual([
      JSON.stringify({ rollouts: ['production-zed=updated', 'production-yves=updated'] }),
    ]);
  });

  test("revision 'current': a forced new deployment on the live revision, done on 'a fresh deployment'", async () => {
    prepareRelease(aws, { apps: ['zed'] });
    const { report } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-current', params: { model: MODEL, services: 'application', revision: 'current' } });
    expect(report.body.executionDetails).toEqual({ summary: '1 service(s) on a fresh deployment after 120 s: production-zed', percentComplete: 100 });
    expect(aws.calls('ECS.UpdateService')).toEqual([{ service: 'production-zed', cluster: 'production', taskDefinition: td('production-zed', 1), forceNewDeployment: true }]);
  });

  test('every UpdateService that fails is named; none rolling out, so no "already rolling out"', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'] });
    aws.fail('ECS.UpdateService', 'InvalidParameterException', 'bad', 2);
    const { report } = await run({});
    expect(report.body.failureDetails).toEqual({
      type: 'JobFailed',
      message:
        'ECS UpdateService production-zed to production-zed:2 in cluster production failed: InvalidParameterException: bad; ' +
        'ECS UpdateService production-yves to production-yves:2 in cluster production failed: InvalidParameterException: bad',
    });
  });

  test('a failed rollout while another still rolls: both named; stopped tasks that cannot be read say why', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'], circuitBreaker: 'enabled' });
    aws.ecs.nextRollouts.set('production-zed', 'stall');
    aws.ecs.nextRollouts.set('production-yves', 'fail');
    aws.fail('ECS.ListTasks', 'AccessDeniedException', 'no ecs:ListTasks', 1);
    const { report } = await run({});
    expect(report.body.failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(
        /^deployment failed in cluster production: service production-yves: rollout FAILED: ECS deployment circuit breaker: tasks failed to start\. Stopped tasks: \(stopped tasks unreadable: ECS ListTasks \(stopped, started by ecs-svc\/\d+\) in cluster production failed: AccessDeniedException: no ecs:ListTasks \(the step's role lacks a permission: check its IAM policy\)\)\. Still rolling out: production-zed \(1\/2 tasks on production-zed:2\)$/,
      ),
    });
  });

  test('without a circuit breaker, stopped tasks are counted at every 6th check only', async () => {
    prepareRelease(aws, { apps: ['zed'], circuitBreaker: 'off' });
    const { report } = await run({});
    expect(report.body.executionDetails.summary).toBe(`1 service(s) on release ${V2} after 120 s: production-zed`);
    // One DescribeServices before the rollouts, then a check every 5 s: 25 checks, the last one done.
    expect(aws.calls('ECS.DescribeServices')).toHaveLength(26);
    expect(aws.calls('ECS.ListTasks')).toHaveLength(4);
  });
});
