/**
 * cutover 'together' (issue 17) on the stateful fake: Deploy_Spryker_services (the bundled
 * logic through defineStep) and the lifecycle hook, driven by the fake ECS's native blue/green
 * deployments (sim/ecs-bluegreen.ts; the shop: cutover-fixture.ts) over loopback with the real SDK clients.
 */
import { cutoverKeys } from '../../lib/contracts/cutover';
import { readTimeline } from '../../lambda/runtime/timeline';
import { timelineKey } from '../../lib/contracts/timeline';
import type { FakeAws } from '../fakes/aws';
import { CALLBACK_JITTER_MS } from '../../sim/ecs-bluegreen';
import { td, useFakeAws, V2 } from '../fakes/shop';
import { cutoverFixture, JOB, spreadOf } from './cutover-fixture';

let aws: FakeAws;
useFakeAws((started) => (aws = started));
const { pageStatus, hook, shop, deploy, records, deploymentsOf, arrivals } = cutoverFixture(() => aws);
beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));

test('all healthy: every service arrives at its own time, then production traffic of all shifts together; the timeline records the spread', async () => {
  const services = shop(['zed', 'yves', 'glue', 'backoffice'], (_, i) => ({ scaleUpMs: 40_000 + i * 25_000 }));
  const { report } = await deploy();
  expect(report.kind).toBe('success');
  const deployments = deploymentsOf(services);
  expect(deployments.map((d) => d.status)).toEqual(services.map(() => 'SUCCESSFUL'));
  // Arrivals are spread by the scale-up times; no service shifted before the last arrival.
  const arrived = arrivals(services);
  expect(spreadOf(arrived)).toBeGreaterThanOrEqual(75_000);
  const shifts = deployments.map((d) => d.shiftedAt!);
  expect(Math.min(...shifts)).toBeGreaterThan(Math.max(...arrived));
  expect(spreadOf(shifts)).toBeLessThanOrEqual(CALLBACK_JITTER_MS + 1000);
  for (const s of services) expect(aws.ecs.services.get(s)!.taskDefinition).toBe(td(s, 2));
  expect(report.body.executionDetails.summary).toMatch(/4 service\(s\) cut over together to release 2{40} in cluster production; production traffic of all shifted within \d\.\d s/);
  const timeline = await readTimeline(records(), aws.codepipeline.jobs.get(JOB.id)!.data.pipelineContext.pipelineExecutionId);
  const mixed = timeline.find((t) => t.state === 'mixedVersions')!;
  expect(mixed.endMs! - mixed.startMs).toBe(spreadOf(aws.bluegreen.invocations.filter((i) => i.stage === 'POST_PRODUCTION_TRAFFIC_SHIFT').map((i) => i.at)));
  expect(mixed.startNote).toMatch(/^together: 4 services shifted within \d\.\d s$/);
  // Every service serves V2 from the last shift on: the database is no longer ahead of them.
  const executionId = aws.codepipeline.jobs.get(JOB.id)!.data.pipelineContext.pipelineExecutionId;
  expect(await records().get(timelineKey(executionId, 'dbAheadOfServices', 'end'))).toMatchObject({ at: mixed.endMs });
  // The waiting hooks were called back every few seconds, not every 30 s (ECS's default).
  const yves = aws.bluegreen.invocations.filter((i) => i.service === 'production-zed' && i.stage === 'POST_TEST_TRAFFIC_SHIFT');
  expect(yves.length).toBeGreaterThan(10);
});

test("one service's green tasks failing: no service shifts, every one goes back to blue, the failure names the service and why", async () => {
  const services = shop(['zed', 'yves', 'glue'], (s) => ({ scaleUpMs: s === 'production-yves' ? 90_000 : 40_000 }));
  aws.bluegreen.nextGreen.set('production-yves', 'failing');
  const { report } = await deploy();
  expect(report.kind).toBe('failure');
  expect(report.body.failureDetails.message).toMatch(
    /^cutover failed before any service shifted production traffic in cluster production: service production-yves: deployment arn:aws:ecs:\S+ ROLLBACK_IN_PROGRESS: ECS deployment circuit breaker: tasks failed to start\. \(at SCALE_UP\)\. Every service is back on its previous revision \(blue\): production-zed ROLLBACK_SUCCESSFUL, production-yves ROLLBACK_SUCCESSFUL, production-glue ROLLBACK_SUCCESSFUL$/,
  );
  for (const d of deploymentsOf(services)) {
    expect(d.shiftedAt).toBeUndefined();
    expect(d.production).toBe('blue');
    expect(aws.ecs.services.get(d.service)!.taskDefinition).toBe(td(d.service, 1));
  }
  // The services held at the barrier were answered FAILED.
  const answered = aws.bluegreen.invocations.filter((i) => i.stage === 'POST_TEST_TRAFFIC_SHIFT' && (i.answer as { hookStatus: string }).hookStatus === 'FAILED');
  expect(answered.length + aws.calls('ECS.StopServiceDeployment').length).toBeGreaterThanOrEqual(2);
});

test("one service's hook check failing through the test listener: none shifts, all back to blue, the failure names the page", async () => {
  const services = shop(['zed', 'yves', 'glue'], (_, i) => ({ scaleUpMs: 40_000 + i * 10_000 }));
  pageStatus.set('production-glue', 503);
  const { report } = await deploy();
  expect(report.kind).toBe('failure');
  expect(report.body.failureDetails.message).toMatch(
    /^cutover failed before any service shifted production traffic in cluster production: service production-glue: its checks through the test listener failed: 1 of 1 page\(s\) failed the warm-up check: http:\/\/127\.0\.0\.1:\d+\/production-glue\/: HTTP 503 \(expected 2xx\)\. Every service is back on its previous revision \(blue\)/,
  );
  for (const d of deploymentsOf(services)) {
    expect(d.shiftedAt).toBeUndefined();
    expect(d.status).toBe('ROLLBACK_SUCCESSFUL');
  }
  expect(aws.bluegreen.invocations.find((i) => i.service === 'production-glue' && i.stage === 'POST_TEST_TRAFFIC_SHIFT')!.answer).toEqual({ hookStatus: 'FAILED' });
});

test('an alarm during the bake time rolls every service back to blue together (blue still running)', async () => {
  const services = shop(['zed', 'yves', 'glue'], () => ({ bakeMinutes: 5 }));
  aws.bluegreen.alarmsDuringBake.set('production-yves', { name: 'production-yves-5xx', afterMs: 60_000 });
  const { report } = await deploy();
  expect(report.kind).toBe('failure');
  expect(report.body.failureDetails.message).toMatch(
    /^cutover failed after the production shift in cluster production: service production-yves: deployment \S+ ROLLBACK_IN_PROGRESS: CloudWatch alarm\(s\) production-yves-5xx in ALARM state\. \(at BAKE_TIME\); every service rolls back together\. Every service is back on its previous revision \(blue\): production-zed ROLLBACK_SUCCESSFUL, production-yves ROLLBACK_SUCCESSFUL, production-glue ROLLBACK_SUCCESSFUL$/,
  );
  const deployments = deploymentsOf(services);
  // All had shifted, and all went back.
  expect(deployments.every((d) => d.shiftedAt !== undefined)).toBe(true);
  expect(deployments.map((d) => d.production)).toEqual(['blue', 'blue', 'blue']);
  for (const s of services) expect(aws.ecs.services.get(s)!.taskDefinition).toBe(td(s, 1));
  // The two others were stopped with ROLLBACK while baking.
  expect(aws.calls('ECS.StopServiceDeployment').map((c) => c.stopType)).toEqual(['ROLLBACK', 'ROLLBACK']);
  const back = deployments.filter((d) => d.service !== 'production-yves').map((d) => d.rollback!.startedAt - d.shiftedAt!);
  expect(Math.max(...back)).toBeLessThan(5 * 60_000);
});

test('a duplicate hook invocation (two in flight at once) of the service that completes the barrier: one arrival, one verdict, the same answer', async () => {
  const services = shop(['zed', 'yves', 'glue'], (s) => ({ scaleUpMs: s === 'production-glue' ? 100_000 : 40_000 }));
  aws.bluegreen.duplicateNext.add('production-glue');
  // The first invocation of glue's hook is its POST_TEST_TRAFFIC_SHIFT: both deliveries run the checks and try to decide.
  const { report } = await deploy();
  expect(report.kind).toBe('success');
  const glue = aws.bluegreen.invocations.filter((i) => i.service === 'production-glue' && i.stage === 'POST_TEST_TRAFFIC_SHIFT');
  expect(glue[0].at).toBe(glue[1].at);
  expect(glue[1].answer).toEqual(glue[0].answer);
  expect(glue[0].answer).toEqual({ hookStatus: 'IN_PROGRESS', callBackDelay: 8 });
  const r = records();
  const barrier = (await r.get<{ barrier: string }>(cutoverKeys.current('production')))!.barrier;
  const verdict = (await r.get<{ verdict: string; at: number }>(cutoverKeys.verdict(barrier)))!;
  expect(verdict).toMatchObject({ verdict: 'release', at: glue[0].at });
  expect(spreadOf(deploymentsOf(services).map((d) => d.shiftedAt!))).toBeLessThanOrEqual(CALLBACK_JITTER_MS + 1000);
});

test('20 services: production traffic of all shifts within 10 s (measured: within the callback jitter), no service before the last arrival', async () => {
  const apps = Array.from({ length: 20 }, (_, i) => `app${i}`);
  const services = shop(apps, (_, i) => ({ scaleUpMs: 40_000 + ((i * 37) % 20) * 5_000 }));
  const { report } = await deploy();
  expect(report.kind).toBe('success');
  const deployments = deploymentsOf(services);
  expect(deployments.every((d) => d.status === 'SUCCESSFUL')).toBe(true);
  const shifts = deployments.map((d) => d.shiftedAt!);
  expect(spreadOf(shifts)).toBeLessThan(10_000);
  // The fake calls a hook back up to CALLBACK_JITTER_MS late (ECS promises no precision): the spread is that jitter, no more.
  expect(spreadOf(shifts)).toBeLessThanOrEqual(CALLBACK_JITTER_MS + 1000);
  console.info(`20 services: arrivals spread over ${spreadOf(arrivals(services)) / 1000} s, production shifts within ${spreadOf(shifts)} ms`);
  expect(Math.min(...shifts)).toBeGreaterThan(Math.max(...arrivals(services)));
  expect(report.body.executionDetails.summary).toMatch(/^20 service\(s\) cut over together/);
});

test('20 services, one failing before the shift: no service shifted, all 20 back on blue', async () => {
  const apps = Array.from({ length: 20 }, (_, i) => `app${i}`);
  const services = shop(apps, (_, i) => ({ scaleUpMs: 40_000 + i * 3_000 }));
  pageStatus.set('production-app7', 500);
  const { report } = await deploy();
  expect(report.body.failureDetails.message).toMatch(/service production-app7: its checks through the test listener failed: .*HTTP 500/);
  const deployments = deploymentsOf(services);
  expect(deployments.filter((d) => d.shiftedAt !== undefined)).toEqual([]);
  expect(deployments.every((d) => d.status === 'ROLLBACK_SUCCESSFUL' && d.production === 'blue')).toBe(true);
});

test('a service not set up for the cutover is refused before anything changes, naming the service and what is missing', async () => {
  shop(['zed', 'yves', 'glue'], (s) => (s === 'production-yves' ? { without: ['testListenerRule', 'alternateTargetGroup'] } : s === 'production-glue' ? { without: ['strategy', 'hook'] } : {}));
  const { report } = await deploy();
  expect(report.body.failureDetails.type).toBe('ConfigurationError');
  const message: string = report.body.failureDetails.message;
  expect(message).toMatch(/^cutover 'together' needs every application service set up for ECS blue\/green with the cutover hook \(docs\/cutover\.md\); nothing was changed\. Not set up: /);
  expect(message).toContain('production-yves: loadBalancers[0] (arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/production-yves-blue/1).advancedConfiguration lacks alternateTargetGroupArn (alternate target group), testListenerRule (test listener rule)');
  expect(message).toContain(`production-glue: deploymentConfiguration.strategy is ROLLING, not BLUE_GREEN; no lifecycle hook on the cutover function production-cutover-hook (lifecycleHooks: [pipeline.cutoverHook])`);
  expect(message).not.toContain('production-zed');
  expect(aws.calls('ECS.UpdateService')).toEqual([]);
  expect(await records().get(cutoverKeys.current('production'))).toBeUndefined();
});

test('the hook trusts nothing in its event: a made-up deployment, or a real one at another stage, answers FAILED and records nothing', async () => {
  const [zed] = shop(['zed', 'yves']);
  const h = hook();
  const forged = {
    executionId: 'e8d5a28f-eb01-4f3c-9454-a30ba6dc54bc',
    lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
    resourceArn: 'arn:aws:ecs:eu-central-1:123456789012:service-deployment/production/production-zed/made-up',
    executionDetails: { serviceArn: 'arn:aws:ecs:eu-central-1:123456789012:service/production/production-zed', targetServiceRevisionArn: 'arn:aws:ecs:eu-central-1:123456789012:service-revision/production/production-zed/1' },
  };
  expect(await h(forged)).toEqual({ hookStatus: 'FAILED' });
  expect(await h({ hookStatus: 'SUCCEEDED' })).toEqual({ hookStatus: 'FAILED' });
  // A real deployment, still scaling up: the event's stage is not the deployment's.
  aws.ecs.api.UpdateService({ cluster: 'production', service: zed, taskDefinition: td(zed, 2) });
  const d = aws.bluegreen.latest(zed)!;
  await aws.bluegreen.advance(2000);
  expect(d.stage).toBe('SCALE_UP');
  const early = { ...forged, resourceArn: d.arn, executionDetails: { ...forged.executionDetails, targetServiceRevisionArn: d.target.revision } };
  expect(await h(early)).toEqual({ hookStatus: 'FAILED' });
  expect(aws.calls('DynamoDB.PutItem')).toEqual([]);
  // At the right stage but no release is being cut over (no barrier): refused as well, nothing written.
  await aws.bluegreen.advance(70_000);
  expect(aws.bluegreen.invocations.map((i) => [i.stage, i.answer])).toEqual([['POST_TEST_TRAFFIC_SHIFT', { hookStatus: 'FAILED' }]]);
  expect(d.rollback?.reason).toBe('Lifecycle hook POST_TEST_TRAFFIC_SHIFT returned FAILED.');
  expect(aws.calls('DynamoDB.PutItem')).toEqual([]);
});

test('UpdateService failing for one service calls the cutover off: the others stop at the barrier and go back to blue, none shifts', async () => {
  const services = shop(['zed', 'yves', 'glue']);
  aws.fail('ECS.UpdateService', 'AccessDeniedException', 'not allowed', 1, 400);
  const { report } = await deploy();
  expect(report.body.failureDetails.message).toMatch(/AccessDeniedException: not allowed.*Cutover called off: the services already rolling out stop at the barrier, which answers them FAILED \(back to blue\)/);
  await aws.bluegreen.advance(5 * 60_000);
  const started = services.map((s) => aws.bluegreen.latest(s)).filter((d) => d !== undefined);
  expect(started).toHaveLength(2);
  for (const d of started) {
    expect(d!.shiftedAt).toBeUndefined();
    expect(d!.status).toBe('ROLLBACK_SUCCESSFUL');
  }
});

test('a stage rollback after a failed cutover finds every service on the release already: done, nothing deployed', async () => {
  const services = shop(['zed', 'yves']);
  for (const s of services) aws.ecs.services.get(s)!.taskDefinition = td(s, 2);
  const { report } = await deploy();
  expect(report.kind).toBe('success');
  expect(report.body.executionDetails.summary).toBe(`2 service(s) already on release ${V2}: nothing to cut over`);
  expect(aws.calls('ECS.UpdateService')).toEqual([]);
});

test('a check failing after the production shift rolls every service back to blue together', async () => {
  const services = shop(['zed', 'yves', 'glue']);
  const real = hook();
  // The release is broken under production traffic: glue's page fails from the shift on.
  aws.bluegreen.hook = (event, context) => {
    if ((event as { lifecycleStage: string }).lifecycleStage === 'POST_PRODUCTION_TRAFFIC_SHIFT') pageStatus.set('production-glue', 500);
    return real(event, context);
  };
  const { report } = await deploy();
  expect(report.body.failureDetails.message).toMatch(
    /^cutover failed after the production shift in cluster production: service production-glue: its checks failed after the production shift: 1 of 1 page\(s\) failed the warm-up check: \S+: HTTP 500 \(expected 2xx\); every service rolls back together\. Every service is back on its previous revision \(blue\)/,
  );
  const deployments = deploymentsOf(services);
  expect(deployments.every((d) => d.shiftedAt !== undefined && d.status === 'ROLLBACK_SUCCESSFUL' && d.production === 'blue')).toBe(true);
  expect(aws.bluegreen.invocations.find((i) => i.service === 'production-glue' && i.stage === 'POST_PRODUCTION_TRAFFIC_SHIFT')!.answer).toEqual({ hookStatus: 'FAILED' });
});

test('a bake failure after another service already completed: the failure says which service is NOT back on blue and what to do', async () => {
  shop(['zed', 'yves'], (s) => ({ bakeMinutes: s === 'production-zed' ? 1 : 5 }));
  aws.bluegreen.alarmsDuringBake.set('production-yves', { name: 'production-yves-5xx', afterMs: 3 * 60_000 });
  const { report } = await deploy();
  expect(report.body.failureDetails.message).toMatch(
    /service production-yves: .*CloudWatch alarm\(s\) production-yves-5xx in ALARM state.*\. NOT every service is back on blue: production-zed SUCCESSFUL, production-yves ROLLBACK_SUCCESSFUL: check these services' deployments and roll them back by hand \(StopServiceDeployment ROLLBACK\) or redeploy the previous release$/,
  );
  expect(aws.calls('ECS.StopServiceDeployment')).toEqual([]);
});
