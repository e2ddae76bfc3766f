import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Deployment, Service } from '@aws-sdk/client-ecs';
import { DEPLOY_TIMEOUT_MS, judge, step } from '../../lambda/deploy';
import { call, decodeToken, defineStep } from '../../lambda/runtime/job';
import { POLL_INTERVAL_MS } from '../../lambda/runtime/poll';
import { StepTable } from '../../lambda/runtime/records';
import { readTimeline } from '../../lambda/runtime/timeline';
import { timelineKey } from '../../lib/contracts/timeline';
import { STEP_TABLE, type FakeAws } from '../fakes/aws';
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

describe('the deploy step on the fake AWS: retries, time limits, the timeline, the cutover dispatch', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const APP = { model: MODEL, services: 'application' };
  const EXECUTION = 'exec-mutation-deploy';
  const job = (id: string, params: object = APP, extra: object = {}) => ({ id, params, inputs: [RELEASE_OUTPUT], stage: 'Deploy_Spryker_services', action: 'Deploy', pipelineExecutionId: EXECUTION, ...extra });
  const records = () => new StepTable(new DynamoDBClient(aws.deps().clientConfig!), STEP_TABLE, () => aws.clock.now, call).records();
  const mark = (state: 'mixedVersions' | 'dbAheadOfServices', edge: 'start' | 'end') => records().get<{ at: number; by: string; note?: string }>(timelineKey(EXECUTION, state, edge));
  const rollouts = () => (console.log as jest.Mock).mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"rollouts"'));

  test('a retried stage long after the release went live: no UpdateService, each service "already on target", done at the first check', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'] });
    expect((await aws.runJob(defineStep(step, aws.deps()), job('job-first'))).report.kind).toBe('success');
    aws.clock.advance(10 * 60_000); // the release deployments are far older than the retry's start (and the clock skew)
    (console.log as jest.Mock).mockClear();
    const { report } = await aws.runJob(defineStep(step, aws.deps()), job('job-retry'));
    expect(report.body.executionDetails).toEqual({ summary: `2 service(s) on release ${V2} after 0 s: production-zed, production-yves`, percentComplete: 100 });
    expect(aws.calls('ECS.UpdateService')).toHaveLength(2);
    expect(rollouts()).toEqual([JSON.stringify({ rollouts: ['production-zed=already on target', 'production-yves=already on target'] })]);
  });

  test('still rolling out at exactly DEPLOY_TIMEOUT_MS: one more check; past the limit the job fails, naming who still rolls out', async () => {
    prepareRelease(aws, { apps: ['zed'] });
    aws.ecs.nextRollouts.set('production-zed', 'stall');
    const handler = defineStep(step, aws.deps());
    await handler(aws.event(job('job-slow')), aws.context(20_000));
    const token = aws.codepipeline.reports[0].body.continuationToken;
    const { startedAt } = decodeToken<{ startedAt: number }>(token);
    aws.clock.advance(startedAt + DEPLOY_TIMEOUT_MS - aws.clock.now);
    await handler(aws.event(job('job-slow-2', APP, { continuationToken: token })), aws.context(60_000));
    expect(aws.codepipeline.reports[1].body.failureDetails).toEqual({
      type: 'JobFailed',
      message: "deployment timed out after 60 min in cluster production: still rolling out production-zed (1/2 tasks on production-zed:2): check the services' events",
    });
    expect(aws.clock.now).toBe(startedAt + DEPLOY_TIMEOUT_MS + POLL_INTERVAL_MS);
  });

  test('without a circuit breaker a stalled rollout says its older deployment still drains, and is not done', async () => {
    prepareRelease(aws, { apps: ['zed'], circuitBreaker: 'off' });
    aws.ecs.nextRollouts.set('production-zed', 'stall');
    await defineStep(step, aws.deps())(aws.event(job('job-drain')), aws.context(80_000));
    expect(aws.codepipeline.reports[0].body).toMatchObject({
      continuationToken: expect.any(String),
      executionDetails: { summary: '0/1 services rolled out after 65 s; waiting for production-zed (1/2 tasks on production-zed:2, 1 older deployment(s) draining)', percentComplete: 50 },
    });
  });

  test('without a circuit breaker, tasks that keep stopping while others run: the failure counts both', async () => {
    prepareRelease(aws, { apps: ['yves'], circuitBreaker: 'off' });
    aws.ecs.nextRollouts.set('production-yves', 'crash');
    const handler = defineStep(step, aws.deps());
    await handler(aws.event(job('job-crash')), aws.context(20_000));
    const token = aws.codepipeline.reports[0].body.continuationToken;
    expect(token).toBeDefined();
    const ours = aws.ecs.services.get('production-yves')!.deployments[0];
    ours.runningCount = 1; // one task stays up, the other keeps crashing
    aws.clock.advance(100_000);
    await handler(aws.event(job('job-crash-2', APP, { continuationToken: token })), aws.context(20_000));
    expect(aws.codepipeline.reports[1].body.failureDetails.message).toMatch(
      new RegExp(`^deployment failed in cluster production: service production-yves: 4 tasks of the release deployment ${ours.id} stopped \\(1/2 running, no circuit breaker to stop it\\): the new revision production-yves:2 does not stay up\\. Stopped tasks: task `),
    );
  });

  test('a release deployment gone from the service: the failure says what runs instead and asks ECS for no stopped tasks (there is no deployment id to ask with)', async () => {
    prepareRelease(aws, { apps: ['zed', 'glue'] });
    aws.ecs.nextRollouts.set('production-glue', 'fail');
    const handler = defineStep(step, aws.deps());
    await handler(aws.event(job('job-gone')), aws.context(20_000));
    aws.clock.advance(600_000); // the rollback completes meanwhile
    await handler(aws.event(job('job-gone-2', APP, { continuationToken: aws.codepipeline.reports[0].body.continuationToken })), aws.context());
    expect(aws.codepipeline.reports[1].body.failureDetails.message).toMatch(
      /^deployment failed in cluster production: service production-glue: the release deployment on production-glue:2 is no longer the service's \(gone\); the service runs production-glue:1 \(deployment ecs-svc\/\d+, COMPLETED\): a circuit-breaker rollback or another deployment replaced it\. Latest events: [^|]*$/,
    );
    expect(aws.codepipeline.reports[1].body.failureDetails.message).not.toContain('Stopped tasks');
    expect(aws.calls('ECS.ListTasks')).toEqual([]);
  });

  test('timeline: V1 and V2 mixed from the first release deployment created (an earlier attempt) until the last one completed', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'] });
    aws.fail('ECS.UpdateService', 'AccessDeniedException', 'not authorized', 1); // the first attempt updates one service only
    const first = await aws.runJob(defineStep(step, aws.deps()), job('job-attempt-1'));
    expect(first.report.kind).toBe('failure');
    const [updated] = aws.calls('ECS.UpdateService').slice(1).map((u) => u.service as string); // after the failed call
    const started = aws.ecs.services.get(updated)!.deployments[0].createdAt;
    expect(await records().get(timelineKey(EXECUTION, 'mixedVersions', 'start'))).toBeUndefined(); // no rollout checked yet
    aws.ecs.rolloutMs = (service) => (service === updated ? 60_000 : 180_000); // the one updated later finishes last
    aws.clock.advance(30_000);
    const { report } = await aws.runJob(defineStep(step, aws.deps()), job('job-attempt-2'));
    expect(report.kind).toBe('success');
    const ended = Math.max(...['production-zed', 'production-yves'].map((s) => aws.ecs.services.get(s)!.deployments[0].updatedAt!));
    expect(ended).toBe(started + 30_000 + 180_000);
    const by = 'Deploy_Spryker_services/Deploy';
    expect(await mark('mixedVersions', 'start')).toMatchObject({ at: started, by, note: '2 service(s)' });
    expect(await mark('mixedVersions', 'end')).toMatchObject({ at: ended, by, note: `2 service(s) on ${V2}` });
    expect(await mark('dbAheadOfServices', 'end')).toMatchObject({ at: ended, by, note: `2 service(s) on ${V2}` });
  });

  test('timeline: a failed rollout leaves V1 and V2 mixed (and the database ahead) open', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'], circuitBreaker: 'enabled' });
    aws.ecs.nextRollouts.set('production-yves', 'fail');
    const { report } = await aws.runJob(defineStep(step, aws.deps()), job('job-fail'));
    expect(report.kind).toBe('failure');
    expect(await mark('mixedVersions', 'start')).toMatchObject({ at: aws.ecs.services.get('production-yves')!.deployments[0].createdAt });
    expect(await mark('mixedVersions', 'end')).toBeUndefined();
    expect(await mark('dbAheadOfServices', 'end')).toBeUndefined();
  });

  test('timeline: every release deployment gone marks nothing (and warns of nothing)', async () => {
    prepareRelease(aws, { apps: ['zed'] });
    aws.ecs.nextRollouts.set('production-zed', 'fail');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const handler = defineStep(step, aws.deps());
    await handler(aws.event(job('job-all-gone')), aws.context(20_000));
    aws.clock.advance(600_000);
    await handler(aws.event(job('job-all-gone-2', APP, { continuationToken: aws.codepipeline.reports[0].body.continuationToken })), aws.context());
    expect(aws.codepipeline.reports[1].body.failureDetails.message).toMatch(/^deployment failed in cluster production: service production-zed: the release deployment on production-zed:2 is no longer the service's \(gone\)/);
    expect(await readTimeline(records(), EXECUTION)).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });

  test('timeline: the scheduler and a redeploy of the current revision mark nothing', async () => {
    prepareRelease(aws, { apps: ['zed'] });
    expect((await aws.runJob(defineStep(step, aws.deps()), job('job-sched', { model: MODEL, services: 'scheduler' }))).report.kind).toBe('success');
    expect((await aws.runJob(defineStep(step, aws.deps()), job('job-current', { ...APP, revision: 'current' }))).report.kind).toBe('success');
    expect(await readTimeline(records(), EXECUTION)).toEqual([]);
  });

  describe('a model with a together cutover', () => {
    const withCutover = () => {
      const model = prepareRelease(aws, { apps: ['zed'] });
      aws.ssm.set(MODEL, JSON.stringify({ ...model, cutover: { hook: 'production-cutover-hook', barrierTimeoutMs: 30 * 60_000 } }));
    };

    test('the application services with a release go to the cutover (which refuses rolling services before any change)', async () => {
      withCutover();
      const { report } = await aws.runJob(defineStep(step, aws.deps()), job('job-together'));
      expect(report.body.failureDetails.message).toContain('production-zed: deploymentConfiguration.strategy is ROLLING, not BLUE_GREEN');
      expect(aws.calls('ECS.UpdateService')).toEqual([]);
    });

    test('the scheduler, and a redeploy of the current revision, still roll', async () => {
      withCutover();
      const scheduler = await aws.runJob(defineStep(step, aws.deps()), job('job-sched', { model: MODEL, services: 'scheduler' }));
      expect(scheduler.report.body.executionDetails.summary).toBe(`1 service(s) on release ${V2} after 120 s: production-scheduler`);
      const current = await aws.runJob(defineStep(step, aws.deps()), job('job-current', { ...APP, revision: 'current' }));
      expect(current.report.body.executionDetails.summary).toBe('1 service(s) on a fresh deployment after 120 s: production-zed');
      expect(aws.calls('ECS.UpdateService')).toEqual([
        { cluster: 'production', service: 'production-scheduler', taskDefinition: td('production-scheduler', 2), forceNewDeployment: false },
        { cluster: 'production', service: 'production-zed', taskDefinition: td('production-zed', 1), forceNewDeployment: true },
      ]);
    });
  });
});

describe('a retried stage after a rollout FAILED without rollback', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const job = (id: string) => ({ id, params: { model: MODEL, services: 'application' }, inputs: [RELEASE_OUTPUT] });

  test('forces a new deployment of the failed service (the circuit breaker stopped launching its tasks) and tracks that one to the end', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'], circuitBreaker: 'enabled' });
    aws.ecs.nextRollouts.set('production-yves', 'fail');
    expect((await aws.runJob(defineStep(step, aws.deps()), job('job-failed'))).report.kind).toBe('failure');
    const failed = aws.ecs.services.get('production-yves')!.deployments[0];
    expect(failed).toMatchObject({ status: 'PRIMARY', taskDefinition: td('production-yves', 2), rolloutState: 'FAILED' });
    aws.clock.advance(60_000); // the cause is fixed meanwhile; the stage is retried
    const { report } = await aws.runJob(defineStep(step, aws.deps()), job('job-retried'));
    expect(report.body.executionDetails.summary).toMatch(/^2 service\(s\) on release 2{40} after 120 s: production-zed, production-yves$/);
    expect(aws.calls('ECS.UpdateService').slice(2)).toEqual([{ cluster: 'production', service: 'production-yves', taskDefinition: td('production-yves', 2), forceNewDeployment: true }]);
    expect(aws.ecs.services.get('production-yves')!.deployments).toMatchObject([{ taskDefinition: td('production-yves', 2), rolloutState: 'COMPLETED' }]);
    expect(aws.ecs.services.get('production-yves')!.deployments[0].id).not.toBe(failed.id);
  });
});

describe('several services at once', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));

  test('two rollouts FAILED while two still roll: each failure with all its stopped tasks, then everyone still rolling out', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves', 'glue', 'backoffice'], circuitBreaker: 'enabled' });
    for (const s of ['production-zed', 'production-yves']) aws.ecs.nextRollouts.set(s, 'fail');
    for (const s of ['production-glue', 'production-backoffice']) aws.ecs.nextRollouts.set(s, 'stall');
    const { report } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-four', params: { model: MODEL, services: 'application' }, inputs: [RELEASE_OUTPUT] });
    const failed = (app: string) =>
      `service production-${app}: rollout FAILED: ECS deployment circuit breaker: tasks failed to start\\. Stopped tasks: ` +
      [0, 1].map(() => `task production-${app}-failed-\\w+-\\d: EssentialContainerExited: Essential container in task exited; container ${app} exit code 1[^|]*`).join(' \\| ');
    expect(report.body.failureDetails.message).toMatch(
      new RegExp(`^deployment failed in cluster production: ${failed('zed')} \\|\\| ${failed('yves')}\\. Still rolling out: production-glue \\(1/2 tasks on production-glue:2\\), production-backoffice \\(1/2 tasks on production-backoffice:2\\)$`),
    );
  });

  test('timed out with two services still rolling out: both named', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'] });
    for (const s of ['production-zed', 'production-yves']) aws.ecs.nextRollouts.set(s, 'stall');
    const handler = defineStep(step, aws.deps());
    const job = { id: 'job-two-slow', params: { model: MODEL, services: 'application' }, inputs: [RELEASE_OUTPUT] };
    await handler(aws.event(job), aws.context(20_000));
    aws.clock.advance(DEPLOY_TIMEOUT_MS);
    await handler(aws.event({ ...job, id: 'job-two-slow-2', continuationToken: aws.codepipeline.reports[0].body.continuationToken }), aws.context(20_000));
    expect(aws.codepipeline.reports[1].body.failureDetails.message).toBe(
      "deployment timed out after 60 min in cluster production: still rolling out production-zed (1/2 tasks on production-zed:2), production-yves (1/2 tasks on production-yves:2): check the services' events",
    );
  });
});

describe('judge: ours is the newest deployment on the target, wherever ECS lists it', () => {
  test('an older deployment on the target listed first does not hide the newer one', () => {
    const older = deployment({ id: 'ecs-svc/older', status: 'ACTIVE', rolloutState: 'FAILED', createdAt: new Date(1_000) });
    const newer = deployment({ id: 'ecs-svc/newer', rolloutState: 'COMPLETED', createdAt: new Date(2_000) });
    expect(judge(service([older, newer]), TARGET)).toEqual({ done: true });
    expect(judge(service([newer, older]), TARGET)).toEqual({ done: true });
    // Created before `since`: not ours, however new it looks otherwise.
    expect(judge(service([newer]), undefined, 2_001)).toMatchObject({ failed: expect.stringContaining('since the rollouts started is no longer') });
    expect(judge(service([newer]), undefined, 2_000)).toEqual({ done: true });
  });
});

describe('judge: which deployment alarm failed the rollout', () => {
  const reason = 'deployment failed: alarm detected.';
  const withAlarms = (alarms: { enable: boolean; alarmNames: string[] }, rolloutStateReason = reason) => ({
    ...service([deployment({ rolloutState: 'FAILED', rolloutStateReason })]),
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false }, alarms: { ...alarms, rollback: false } },
  });

  test('named when ECS says an alarm failed it and the service has one switched on', () => {
    expect(judge(withAlarms({ enable: true, alarmNames: ['zed-5xx'] }), TARGET)).toEqual({ failed: `rollout FAILED on its deployment alarm zed-5xx (ALARM): ${reason}`, deployment: ID });
    expect(judge(withAlarms({ enable: true, alarmNames: ['zed-5xx'] }, 'Deployment failed: ALARM DETECTED.'), TARGET)).toMatchObject({ failed: expect.stringContaining('on its deployment alarm zed-5xx') });
  });

  test('not named when the alarms are switched off, have no names, or ECS gives another reason', () => {
    expect(judge(withAlarms({ enable: false, alarmNames: ['zed-5xx'] }), TARGET)).toEqual({ failed: `rollout FAILED: ${reason}`, deployment: ID });
    expect(judge(withAlarms({ enable: true, alarmNames: [] }), TARGET)).toEqual({ failed: `rollout FAILED: ${reason}`, deployment: ID });
    expect(judge(withAlarms({ enable: true, alarmNames: ['zed-5xx'] }, 'tasks failed to start.'), TARGET)).toEqual({ failed: 'rollout FAILED: tasks failed to start.', deployment: ID });
  });
});

describe('the percentage while some services are done and others still roll', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));

  test('a finished service counts whole, a rolling one by its running tasks', async () => {
    prepareRelease(aws, { apps: ['zed', 'yves'] });
    aws.ecs.nextRollouts.set('production-yves', 'stall');
    await defineStep(step, aws.deps())(aws.event({ id: 'job-half', params: { model: MODEL, services: 'application' }, inputs: [RELEASE_OUTPUT] }), aws.context(140_000));
    expect(aws.codepipeline.reports[0].body.executionDetails).toEqual({
      summary: '1/2 services rolled out after 125 s; waiting for production-yves (1/2 tasks on production-yves:2)',
      percentComplete: 75,
    });
  });
});
