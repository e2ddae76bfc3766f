/**
 * Run_install wrapped in maintenance mode: on before the task starts, lifted on every way the
 * stage ends. ECS, SSM and CodePipeline are the stateful HTTP fake on loopback (real SDK clients);
 * the ALB listener is the fake of maintenance-fake-elb.
 */
import { step, withNote } from '../../lambda/run-hook';
import { defineStep, MAX_FAILURE_MESSAGE } from '../../lambda/runtime/job';
import { clearModelCache } from '../../lambda/runtime/load-model';
import type { MaintenanceConfig } from '../../lambda/maintenance-mode';
import { FakeAws } from '../fakes/aws';
import { MODEL, setupShop } from '../fakes/shop';
import { FakeListener, LISTENER } from './maintenance-fake-elb';

const CONFIG = '/production/pipeline/maintenance';
const PAGE = '<h1>Back soon</h1>';
const INSTALL = { model: MODEL, hook: 'install', taskDefinition: 'live', then: 'vendor/bin/console scheduler:setup -vvv --no-ansi', maintenance: CONFIG };

let aws: FakeAws;
let alb: FakeListener;
beforeEach(async () => {
  clearModelCache();
  aws = await new FakeAws().start();
  alb = new FakeListener('tg-yves', aws.requests);
  alb.addHostRule(100, 'www.shop.de', 'tg-yves');
  setupShop(aws);
  const config: MaintenanceConfig = { v: 1, env: 'production', listenerArn: LISTENER, priority: 1, allowedIps: ['203.0.113.0/24'], page: PAGE, contentType: 'text/html' };
  aws.ssm.set(CONFIG, JSON.stringify(config));
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(async () => {
  jest.restoreAllMocks();
  alb.mock.restore();
  await aws.stop();
});

const run = (params: object = INSTALL) => aws.runJob(defineStep(step, aws.deps()), { id: 'job-1', params });
/** The order of the calls that matter: maintenance on/off and the task. */
const timeline = () => aws.requests.map((r) => r.op).filter((op) => ['ELB.CreateRule', 'ELB.DeleteRule', 'ECS.RunTask'].includes(op));
const visitor = { host: 'www.shop.de', ip: '198.51.100.7' };

test('maintenance is on while the install runs, and lifted after it succeeds', async () => {
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: 120_000 });
  // The first invocation starts the task and hands back a continuation while it runs.
  await defineStep(step, aws.deps())(aws.event({ id: 'job-0', params: INSTALL }), aws.context(20_000));
  const token = aws.codepipeline.reports[0].body.continuationToken;
  expect(token).toBeDefined();
  expect(alb.route(visitor)).toBe(`503 ${PAGE}`);
  expect(alb.route({ ...visitor, ip: '203.0.113.9' })).toBe('tg-yves');
  expect(timeline()).toEqual(['ELB.CreateRule', 'ELB.CreateRule', 'ELB.CreateRule', 'ECS.RunTask']);

  // CodePipeline re-invokes with the token until the task has stopped.
  const { report } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-1', params: INSTALL, continuationToken: token });
  expect(report.kind).toBe('success');
  expect(report.body.executionDetails.summary).toMatch(/^hook install: task \w+ exited 0 after \d+ s; maintenance mode lifted$/);
  expect(timeline().slice(4)).toEqual(['ELB.DeleteRule', 'ELB.DeleteRule', 'ELB.DeleteRule']);
  expect(aws.calls('ECS.RunTask')).toHaveLength(1);
  expect(alb.route(visitor)).toBe('tg-yves');
});

test('a failed install (exit 1) still lifts maintenance; the message keeps the failure first and the newest log lines', async () => {
  const logs = Array.from({ length: 300 }, (_, i) => `[install] propel:migrate step ${i + 1} ${'x'.repeat(20)}`);
  aws.ecs.nextTasks.push({ exitCode: 1, logs: [...logs, 'SQLSTATE[42S01]: Base table or view already exists'] });
  const { report } = await run();
  expect(report.kind).toBe('failure');
  const message: string = report.body.failureDetails.message;
  const [first, second] = message.split('\n');
  expect(first).toMatch(/^hook install: task \w+ of production-zed:1 in cluster production failed: .*exit code 1/);
  expect(second).toBe('maintenance mode lifted');
  expect(message.endsWith('SQLSTATE[42S01]: Base table or view already exists')).toBe(true);
  expect(message.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE);
  expect(timeline()).toEqual(['ELB.CreateRule', 'ELB.CreateRule', 'ELB.CreateRule', 'ECS.RunTask', 'ELB.DeleteRule', 'ELB.DeleteRule', 'ELB.DeleteRule']);
  expect(alb.route(visitor)).toBe('tg-yves');
});

test('a task that never starts still lifts maintenance', async () => {
  aws.ecs.nextTasks.push({ failToStart: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)' });
  const { report } = await run();
  expect(report.kind).toBe('failure');
  expect(report.body.failureDetails.message).toMatch(/TaskFailedToStart[\s\S]*\nmaintenance mode lifted/);
  expect(alb.maintenanceRules()).toEqual([]);
});

test('RunTask refused (no task at all) still lifts maintenance', async () => {
  aws.fail('ECS.RunTask', 'AccessDeniedException', 'not authorized to perform: ecs:RunTask', 1, 400);
  const { report } = await run();
  expect(report.body.failureDetails).toMatchObject({ type: 'PermissionError', message: expect.stringMatching(/^ECS RunTask of .* failed: AccessDeniedException.*\nmaintenance mode lifted$/) });
  expect(aws.ecs.tasks.size).toBe(0);
  expect(alb.maintenanceRules()).toEqual([]);
});

test('maintenance turned on by someone else before the install stays on', async () => {
  const { enableMaintenance } = await import('../../lambda/maintenance-mode');
  await enableMaintenance(alb.client, JSON.parse(aws.ssm.parameters.get(CONFIG)![0].value));
  const { report } = await run();
  expect(report.kind).toBe('success');
  expect(report.body.executionDetails.summary).not.toMatch(/lifted/);
  expect(timeline().filter((op) => op === 'ELB.DeleteRule')).toEqual([]);
  expect(alb.route(visitor)).toBe(`503 ${PAGE}`);
});

test('an install that succeeds but cannot lift maintenance fails the stage, saying maintenance is still on and how to lift it', async () => {
  alb.failDelete = true;
  const { report } = await run();
  expect(report.body.failureDetails.message).toMatch(
    /^hook install succeeded, but MAINTENANCE MODE IS STILL ON: lifting it failed \(AccessDenied: .*\); run the pipeline production-maintenance-disable$/,
  );
});

test('maintenance that cannot be turned on: no task is started', async () => {
  alb.addHostRule(2, 'glue.shop.de', 'tg-glue');
  const { report } = await run();
  expect(report.body.failureDetails.message).toMatch(/cannot enable maintenance of production .* Nothing was changed\.$/);
  expect(aws.calls('ECS.RunTask')).toHaveLength(0);
  expect(alb.maintenanceRules()).toEqual([]);
});

test('without the maintenance parameter the hook never touches the load balancer', async () => {
  const { maintenance: _m, ...plain } = INSTALL;
  const { report } = await run(plain);
  expect(report.kind).toBe('success');
  expect(alb.mock.calls()).toHaveLength(0);
});

test('withNote: first line, note, then the newest lines within the failure limit', () => {
  const message = ['HEAD', ...Array.from({ length: 1000 }, (_, i) => `line ${i}`)].join('\n');
  const noted = withNote(message, 'maintenance mode lifted');
  expect(noted.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE);
  expect(noted.startsWith('HEAD\nmaintenance mode lifted\n…')).toBe(true);
  expect(noted.endsWith('line 999')).toBe(true);
  expect(withNote('short', 'note')).toBe('short\nnote');
});

test.each(['none', 'additive'])("duringInstall 'auto' with a %s schema change: the install runs without maintenance", async (schemaRisk) => {
  aws.ecs.nextTasks.push({ exitCode: 0 });
  const { report } = await run({ ...INSTALL, schemaRisk });
  expect(report.kind).toBe('success');
  expect(timeline()).toEqual(['ECS.RunTask']);
});

test.each(['breaking', 'unknown'])("duringInstall 'auto' with a %s schema change: maintenance on around the install, and lifted", async (schemaRisk) => {
  aws.ecs.nextTasks.push({ exitCode: 0 });
  const { report } = await run({ ...INSTALL, schemaRisk });
  expect(report.kind).toBe('success');
  expect(timeline()).toEqual(['ELB.CreateRule', 'ELB.CreateRule', 'ELB.CreateRule', 'ECS.RunTask', 'ELB.DeleteRule', 'ELB.DeleteRule', 'ELB.DeleteRule']);
  expect(alb.route(visitor)).toBe('tg-yves');
});
