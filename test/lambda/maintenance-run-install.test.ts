/**
 * Run_install wrapped in maintenance mode: on before the task starts, lifted on every way the
 * stage ends. ECS, SSM and CodePipeline are the stateful HTTP fake on loopback (real SDK clients);
 * the ALB listener is the fake of maintenance-fake-elb.
 */
import { step, withNote } from '../../lambda/run-hook';
import { defineStep, MAX_FAILURE_MESSAGE } from '../../lambda/runtime/job';
import { clearModelCache } from '../../lambda/runtime/load-model';
import { liftAfterExecution } from '../../lambda/maintenance-mode';
import type { MaintenanceConfig } from '../../lib/contracts/maintenance';
import { FakeAws, PIPELINES, STEP_TABLE } from '../fakes/aws';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { call } from '../../lambda/runtime/job';
import { StepTable } from '../../lambda/runtime/records';
import { readTimeline } from '../../lambda/runtime/timeline';
import { MODEL, setupShop } from '../fakes/shop';
import { FakeListener, LISTENER } from './maintenance-fake-elb';

const CONFIG = '/production/pipeline/maintenance';
const PAGE = '<h1>Back soon</h1>';
const INSTALL = { model: MODEL, hook: 'install', taskDefinition: 'live', then: 'vendor/bin/console scheduler:setup -vvv --no-ansi', timeoutMinutes: 60, maintenance: CONFIG };

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
    /^hook install succeeded, but MAINTENANCE IS STILL ON: lifting it failed \(AccessDenied: .*\); run the pipeline production-maintenance-disable$/,
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

describe('checks that can fail without a side effect run before maintenance goes on', () => {
  const noMaintenance = () => {
    expect(aws.calls('ECS.RunTask')).toHaveLength(0);
    expect(timeline()).toEqual([]);
    expect(alb.route(visitor)).toBe('tg-yves');
  };

  test('a command override over 8192 characters', async () => {
    const model = JSON.parse(aws.ssm.parameters.get(MODEL)![0].value);
    aws.ssm.set(MODEL, JSON.stringify({ ...model, hooks: { ...model.hooks, install: `echo ${'x'.repeat(8200)}` } }));
    const { report } = await run();
    expect(report.body.failureDetails).toMatchObject({ type: 'ConfigurationError', message: expect.stringMatching(/command override is \d+ characters, ECS accepts 8192/) });
    noMaintenance();
  });

  test('a task definition that does not exist', async () => {
    aws.ecs.services.get('production-zed')!.taskDefinition = 'arn:aws:ecs:eu-central-1:123456789012:task-definition/production-zed:99';
    const { report } = await run();
    expect(report.body.failureDetails.message).toMatch(/^ECS DescribeTaskDefinition .*production-zed:99 failed: ClientException: Unable to describe task definition/);
    noMaintenance();
  });

  test('no application container in the task definition', async () => {
    const model = JSON.parse(aws.ssm.parameters.get(MODEL)![0].value);
    aws.ssm.set(MODEL, JSON.stringify({ ...model, services: model.services.map((s: { app: string }) => (s.app === 'zed' ? { ...s, containers: { php: 'zed' } } : s)) }));
    const { report } = await run();
    expect(report.body.failureDetails).toEqual({
      type: 'ConfigurationError',
      message: expect.stringMatching(/^hook install: task definition .*production-zed:1 has no application container php \(it has zed, log-router\): fix the hook service's containerImages$/),
    });
    noMaintenance();
  });

  test('no network configuration for an awsvpc task', async () => {
    delete aws.ecs.services.get('production-zed')!.network;
    const { report } = await run();
    expect(report.body.failureDetails).toEqual({
      type: 'ConfigurationError',
      message: 'hook install: task definition production-zed:1 uses awsvpc networking, but service production-zed has no subnets to run the task in: give the service a network configuration',
    });
    noMaintenance();
  });
});

test('an install that never ends: stopped at its limit, maintenance lifted, the failure names hook, task, limit and log lines', async () => {
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: Infinity, logs: ['[install] queue:setup', 'waiting for the broker'] });
  const { report } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-1', params: { ...INSTALL, timeoutMinutes: 60 } }, { lambdaMs: 14 * 60_000 });
  expect(aws.calls('ECS.StopTask')).toHaveLength(1);
  const [first, second, ...tail] = report.body.failureDetails.message.split('\n');
  expect(first).toMatch(/^hook install: task \w+ of production-zed:1 in cluster production ran past its time limit of 60 min \(hookTimeouts\.install\) \(RUNNING after 60 min\): the task was stopped\./);
  expect(second).toBe('maintenance mode lifted');
  expect(tail).toEqual([expect.stringMatching(/^last 2 log lines of \/ecs\/production-zed /), '[install] queue:setup', 'waiting for the broker']);
  expect(alb.maintenanceRules()).toEqual([]);
  expect(alb.route(visitor)).toBe('tg-yves');
});

describe('the out-of-band lift: maintenance a Run_install turned on goes off however the stage ends', () => {
  const EXECUTION = '0a1b2c3d-0000-4000-8000-000000000001';
  const OTHER = '99999999-0000-4000-8000-000000000009';
  const handler: ReturnType<typeof defineStep> = (event, context) => defineStep(step, aws.deps())(event, context);
  /** A Run_install job of the pipeline execution EXECUTION, as CodePipeline issues it. */
  const ofExecution = (id: string, more: { actionExecutionId?: string; pipelineExecutionId?: string } = {}) =>
    aws.event({ id, params: INSTALL, pipelineExecutionId: EXECUTION, stage: 'Run_install', action: 'Run_install', ...more });
  const lift = (executionId: string, state = 'FAILED', event: { pipeline?: string; stage?: string } = {}) =>
    liftAfterExecution(
      { config: CONFIG, pipeline: event.pipeline ?? 'production-deploy', executionId, stage: event.stage ?? 'Run_install', state },
      { clientConfig: aws.deps().clientConfig, sleep: async () => undefined, pipelines: PIPELINES, table: STEP_TABLE, now: () => aws.clock.now },
    );
  const block = () => alb.maintenanceRules().find((r) => r.tags.some((t) => t.Key === 'spryker:maintenance-role' && t.Value === 'block'));

  test('a duplicate delivery plus a lost continuation: one task, and the lift after the action failed ends with maintenance off', async () => {
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 600_000 });
    const switchedOn = aws.clock.now;
    const event = ofExecution('job-dup');
    // Two deliveries of one job really in flight at once; the continuation they hand back is never delivered.
    await Promise.all([handler(event, aws.context(20_000)), handler(event, aws.context(20_000))]);
    expect(aws.ecs.tasks.size).toBe(1);
    // One switch and one report: the delivery that lost the job's record does and reports nothing.
    expect(alb.changes).toEqual(['create 1', 'create 2', 'create 3']);
    expect(aws.calls('CodePipeline.PutJobFailureResult')).toEqual([]);
    expect(aws.calls('CodePipeline.PutJobSuccessResult').map((r) => Boolean(r.continuationToken))).toEqual([true]);
    expect(alb.route(visitor)).toBe(`503 ${PAGE}`);
    expect(block()!.tags).toContainEqual({ Key: 'spryker:maintenance-owner', Value: EXECUTION });

    // CodePipeline fails the action (no answer in 20 minutes): EventBridge invokes the maintenance handler.
    aws.clock.advance(20 * 60_000);
    aws.codepipeline.ended.set('ae-job-dup', 'Failed');
    expect(await lift(EXECUTION)).toEqual({ lifted: true, summary: expect.stringMatching(/^maintenance of production off: 3 rule\(s\) removed/) });
    expect(aws.calls('CodePipeline.ListActionExecutions')).toEqual([{ pipelineName: 'production-deploy', filter: { pipelineExecutionId: EXECUTION } }]);
    expect(alb.maintenanceRules()).toEqual([]);
    // The execution's timeline: on when its stage switched it on, off when the lift took it off (the report shows both).
    const records = new StepTable(new DynamoDBClient(aws.deps().clientConfig!), STEP_TABLE, () => aws.clock.now, call).records();
    const spans = await readTimeline(records, EXECUTION);
    expect(spans.find((s) => s.state === 'maintenance')).toEqual({ state: 'maintenance', startMs: switchedOn, endMs: aws.clock.now, endNote: 'after Run_install FAILED' });
    expect(alb.route(visitor)).toBe('tg-yves');
  });

  test("another execution's end, or maintenance the maintenance pipeline turned on, is left on", async () => {
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 600_000 });
    await handler(ofExecution('job-a'), aws.context(20_000));
    // A genuine other execution whose Run_install CodePipeline abandoned.
    aws.codepipeline.issue({ id: 'job-b', params: INSTALL, pipelineExecutionId: OTHER, stage: 'Run_install', action: 'Run_install' });
    aws.codepipeline.ended.set('ae-job-b', 'Abandoned');
    expect(await lift(OTHER, 'ABANDONED')).toEqual({
      lifted: false,
      summary: `maintenance of production is on, turned on by ${EXECUTION}, not by ${OTHER}: left on`,
    });
    expect(alb.route(visitor)).toBe(`503 ${PAGE}`);
    aws.codepipeline.ended.set('ae-job-a', 'Abandoned');
    await lift(EXECUTION, 'ABANDONED');
    const { enableMaintenance } = await import('../../lambda/maintenance-mode');
    await enableMaintenance(alb.client, JSON.parse(aws.ssm.parameters.get(CONFIG)![0].value));
    expect(await lift(EXECUTION)).toMatchObject({ lifted: false, summary: expect.stringMatching(/turned on by the maintenance pipeline or by hand/) });
    expect(alb.route(visitor)).toBe(`503 ${PAGE}`);
  });

  test('a lift that keeps failing says MAINTENANCE IS STILL ON and how to lift it', async () => {
    await handler(ofExecution('job-a'), aws.context(20_000));
    aws.codepipeline.ended.set('ae-job-a', 'Failed');
    alb.failDelete = true;
    await expect(lift(EXECUTION)).rejects.toThrow(
      /^MAINTENANCE IS STILL ON after production-deploy execution 0a1b2c3d-0000-4000-8000-000000000001, stage Run_install FAILED: lifting it failed \(AccessDenied: .*\); run the pipeline production-maintenance-disable, or delete the listener rules tagged spryker:maintenance$/,
    );
  });

  describe('a lift event CodePipeline does not confirm does nothing and says why', () => {
    let warn: jest.SpyInstance;
    beforeEach(async () => {
      warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      aws.ecs.nextTasks.push({ exitCode: 0, runMs: 600_000 });
      await handler(ofExecution('job-a'), aws.context(20_000));
      expect(block()!.tags).toContainEqual({ Key: 'spryker:maintenance-owner', Value: EXECUTION });
    });
    /** Maintenance still on, no ELB write after the switch, one WARN line naming the reason. */
    const leftOn = (reason: RegExp) => {
      expect(alb.changes).toEqual(['create 1', 'create 2', 'create 3']);
      expect(alb.route(visitor)).toBe(`503 ${PAGE}`);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(JSON.parse(warn.mock.calls[0][0])).toMatchObject({ level: 'WARN', step: 'maintenance-mode', refused: expect.stringMatching(reason) });
    };

    test('an execution CodePipeline does not know', async () => {
      const unknown = '0a1b2c3d-0000-4000-8000-0000000000ff';
      expect(await lift(unknown)).toEqual({ lifted: false, summary: expect.stringMatching(/^not lifted: CodePipeline knows no execution .*PipelineExecutionNotFoundException/) });
      leftOn(/no execution 0a1b2c3d-0000-4000-8000-0000000000ff of pipeline production-deploy/);
    });

    test("a pipeline that is not one of the environment's: CodePipeline is not even asked", async () => {
      expect(await lift(EXECUTION, 'FAILED', { pipeline: 'someone-elses-pipeline' })).toMatchObject({ lifted: false });
      expect(aws.calls('CodePipeline.ListActionExecutions')).toEqual([]);
      leftOn(/^pipeline someone-elses-pipeline is not one of this environment's \(production-deploy, /);
    });

    test('the execution whose Run_install is still in progress (also when the event names another stage)', async () => {
      expect(await lift(EXECUTION, 'SUCCEEDED', { stage: 'Deploy_Zed' })).toMatchObject({ lifted: false });
      // Looked again before refusing (the event may come before CodePipeline records the end): bounded.
      expect(aws.calls('CodePipeline.ListActionExecutions')).toHaveLength(3);
      leftOn(/^CodePipeline shows Run_install\/Run_install \(action execution ae-job-a\) of execution 0a1b2c3d-0000-4000-8000-000000000001 still in progress$/);
    });

    test('an execution with no action that turns this maintenance on', async () => {
      const { maintenance: _m, ...plain } = INSTALL;
      aws.codepipeline.issue({ id: 'job-p', params: plain, pipelineExecutionId: OTHER, stage: 'Run_install', action: 'Run_install' });
      aws.codepipeline.ended.set('ae-job-p', 'Succeeded');
      expect(await lift(OTHER)).toMatchObject({ lifted: false });
      leftOn(/^CodePipeline lists no action of execution 9{8}-.* that turns on maintenance \/production\/pipeline\/maintenance$/);
    });

    test('a Retry: the stage keeps its execution id, and while the retried Run_install runs the failed attempt\'s end lifts nothing', async () => {
      aws.codepipeline.ended.set('ae-job-a', 'Failed');
      // Retry of the failed stage: a new action execution of the same pipeline execution, in progress.
      aws.ecs.nextTasks.push({ exitCode: 0, runMs: 600_000 });
      await handler(ofExecution('job-r', { actionExecutionId: 'ae-retry' }), aws.context(20_000));
      expect(await lift(EXECUTION, 'FAILED')).toMatchObject({ lifted: false });
      leftOn(/^CodePipeline shows Run_install\/Run_install \(action execution ae-retry\) .* still in progress$/);
      // The retry ends too: now the lift is genuine.
      aws.codepipeline.ended.set('ae-retry', 'Failed');
      expect(await lift(EXECUTION, 'FAILED')).toMatchObject({ lifted: true });
      expect(alb.route(visitor)).toBe('tg-yves');
    });
  });
});

test('the deployed handler takes the input the EventBridge rule renders and lifts the owner\'s maintenance', async () => {
  const { handler } = await import('../../lambda/maintenance-mode');
  const EXECUTION = '0a1b2c3d-0000-4000-8000-00000000000f';
  await defineStep(step, aws.deps())(aws.event({ id: 'job-a', params: INSTALL, pipelineExecutionId: EXECUTION, stage: 'Run_install', action: 'Run_install' }), aws.context(20_000));
  expect(alb.route(visitor)).toBe(`503 ${PAGE}`);
  aws.codepipeline.ended.set('ae-job-a', 'Abandoned');
  // The rule's InputTemplate (test/stages/hooks-and-deploy.test.ts) with an event's fields filled in.
  const input = JSON.parse(`{"liftAfterExecution":{"config":"${CONFIG}","pipeline":"production-deploy","executionId":"${EXECUTION}","stage":"Run_install","state":"ABANDONED"}}`);
  const saved = { AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL, STEP_PIPELINES: process.env.STEP_PIPELINES };
  // The handler builds its own clients: SSM and CodePipeline go to the fake, the ELB client is mocked; the stack sets STEP_PIPELINES.
  process.env.AWS_ENDPOINT_URL = aws.url;
  process.env.STEP_PIPELINES = PIPELINES.join(',');
  try {
    await handler(input, aws.context());
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  expect(aws.calls('CodePipeline.ListActionExecutions')).toHaveLength(1);
  expect(alb.maintenanceRules()).toEqual([]);
  expect(aws.codepipeline.reports.filter((r) => r.jobId !== 'job-a')).toEqual([]); // not a job: nothing reported to CodePipeline
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
