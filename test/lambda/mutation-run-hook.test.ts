import { clientToken, fitTail, hookCommand, hookOverrides, MAX_OVERRIDES_LENGTH, step, withNote } from '../../lambda/run-hook';
import { call, defineStep, MAX_FAILURE_MESSAGE } from '../../lambda/runtime/job';
import { clearModelCache } from '../../lambda/runtime/load-model';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StepTable } from '../../lambda/runtime/records';
import { TIMELINE_STATES, timelineKey } from '../../lib/contracts/timeline';
import { STEP_TABLE, TASK_START_MS, type FakeAws } from '../fakes/aws';
import { MODEL, setupShop, useFakeAws } from '../fakes/shop';
import type { MaintenanceConfig } from '../../lib/contracts/maintenance';
import { FakeListener, LISTENER } from './maintenance-fake-elb';
import { enableMaintenance } from '../../lambda/maintenance-mode';

// run-hook's messages and its choice of container, at their edges (mutation testing showed them
// unpinned): which container's exit code decides, which hint is added, how a long log is cut.

describe('fitTail: the head, then the newest log lines that fit', () => {
  const head = 'H';
  const tail = 'T\na\nb\nc';

  test('a message that fits, to the character, is left whole', () => {
    expect(fitTail(head, tail, 9)).toBe('H\nT\na\nb\nc');
  });

  test('one character too many drops the oldest lines after the title, marking the cut', () => {
    expect(fitTail(head, tail, 8)).toBe('H\nT …\nc');
    expect(fitTail(head, tail, 7)).toBe('H\nT …\nc');
  });

  test('the title and the newest line are kept; what still does not fit is cut at the limit', () => {
    expect(fitTail(head, tail, 5)).toBe('H\nT …');
    expect(fitTail('a long head line', 'T\nx', 6)).toBe('a long');
  });
});

describe('withNote: first line, note, then as much of the rest as fits in a failure message', () => {
  const head = 'hook install failed';
  const note = 'maintenance mode lifted';
  const room = MAX_FAILURE_MESSAGE - head.length - note.length - 3;

  test('a rest of exactly the room is kept whole', () => {
    const rest = 'r'.repeat(room);
    const noted = withNote(`${head}\n${rest}`, note);
    expect(noted).toBe(`${head}\n${note}\n${rest}`);
    expect(noted.length).toBe(MAX_FAILURE_MESSAGE - 1);
  });

  test('one more character keeps the newest part, marked, within the limit', () => {
    const rest = `o${'r'.repeat(room)}`;
    const noted = withNote(`${head}\n${rest}`, note);
    expect(noted).toBe(`${head}\n${note}\n…${'r'.repeat(room)}`);
    expect(noted.length).toBe(MAX_FAILURE_MESSAGE);
  });

  test('a one-line message gets the note only; lines of the rest keep their breaks', () => {
    expect(withNote(head, note)).toBe(`${head}\n${note}`);
    expect(withNote(`${head}\nline 1\nline 2`, note)).toBe(`${head}\n${note}\nline 1\nline 2`);
  });
});

describe('clientToken', () => {

  test('clientToken keeps letters, digits and hyphens, at most 64', () => {
    expect(clientToken('AbC-123_x.y')).toBe('AbC-123xy');
    expect(clientToken(`${'a'.repeat(60)}-b/c:d1234`)).toBe(`${'a'.repeat(60)}-bcd`);
  });
});

describe('the hook task on the fake AWS', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const PRE = { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', timeoutMinutes: 30 };
  const run = () => aws.runJob(defineStep(step, aws.deps()), { id: 'job-hook', params: PRE });

  /** ECS also reports the log-router sidecar of zed's task, listed first, having exited as given. */
  function withSidecar(exitCode: number) {
    const describe = aws.ecs.api.DescribeTasks;
    aws.ecs.api.DescribeTasks = (body) => {
      const out = describe(body) as { tasks: { lastStatus?: string; containers: object[] }[] };
      // The fake reports the sidecar already (failing containers first): give it this exit code.
      for (const t of out.tasks) {
        const others = (t.containers as { name?: string }[]).filter((c) => c.name !== 'log-router');
        t.containers = [{ name: 'log-router', lastStatus: t.lastStatus, ...(t.lastStatus === 'STOPPED' && { exitCode }) }, ...others];
      }
      return out;
    };
  }

  test('the application container decides: a sidecar that exited 0 does not pass a hook that exited 1', async () => {
    setupShop(aws);
    withSidecar(0);
    aws.ecs.nextTasks.push({ exitCode: 1, logs: ['boom'] });
    const { report } = await run();
    expect(report.kind).toBe('failure');
    const [first] = report.body.failureDetails.message.split('\n');
    // The exact first line: no hint for an ordinary exit code (the "never started" one belongs to TaskFailedToStart).
    expect(first).toMatch(
      /^hook beforeDeploy: task \w+ of production-zed:1 in cluster production failed: task \w+: EssentialContainerExited: Essential container in task exited; container zed exit code 1; container log-router exit code 0\.$/,
    );
    expect(report.body.failureDetails.message).toMatch(/\nlast 1 log lines of \/ecs\/production-zed spryker\/zed\/\w+:\nboom$/);
  });

  test('and a sidecar that exited 1 does not fail a hook whose application container exited 0', async () => {
    setupShop(aws);
    withSidecar(1);
    aws.ecs.nextTasks.push({ exitCode: 0 });
    const { report } = await run();
    expect(report.kind).toBe('success');
    expect(report.body.executionDetails.summary).toMatch(/^hook beforeDeploy: task \w+ exited 0 after \d+ s$/);
  });

  test('the hook runs in the application container, not the first container of the task definition', async () => {
    setupShop(aws);
    const td = [...aws.ecs.definitions.values()].find((d) => d.family === 'production-zed')!;
    td.containerDefinitions = [...(td.containerDefinitions as { name: string }[])].reverse();
    expect((td.containerDefinitions as { name: string }[])[0].name).toBe('log-router');
    aws.ecs.nextTasks.push({ exitCode: 1, logs: ['zed says why'] });
    const { report } = await run();
    expect(aws.calls('ECS.RunTask')[0].overrides.containerOverrides.map((o: { name: string }) => o.name)).toEqual(['zed']);
    // And the log tail quoted is the application container's.
    expect(report.body.failureDetails.message).toMatch(/\nlast 1 log lines of \/ecs\/production-zed spryker\/zed\/\w+:\nzed says why$/);
  });

  test('a task ECS no longer knows fails with what to check', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 120_000 });
    const describe = aws.ecs.api.DescribeTasks;
    // Without even an empty `tasks` list: only the failure for the task.
    aws.ecs.api.DescribeTasks = (body) => {
      const { tasks: _, ...rest } = describe(body) as { tasks: unknown };
      return rest;
    };
    const { report } = await run();
    expect(report.body.failureDetails.message).toMatch(
      /^hook beforeDeploy: task \w+ of production-zed:1 in cluster production: ECS no longer knows the task \(it forgets stopped tasks after about an hour\): check the cluster's stopped tasks, then retry the stage$/,
    );
  });
});

describe('what the hook step says when it cannot start, waits, or has no log lines', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const PRE = { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', timeoutMinutes: 30 };
  const run = (id = 'job-hook') => aws.runJob(defineStep(step, aws.deps()), { id, params: PRE });
  const TD = 'arn:aws:ecs:eu-central-1:123456789012:task-definition/production-zed:1';

  test('a hook service the model does not have, and a task definition without containers: ConfigurationErrors, nothing started', async () => {
    const model = setupShop(aws);
    aws.ssm.set(MODEL, JSON.stringify({ ...model, hookService: 'nope' }));
    expect((await run('job-a')).report.body.failureDetails).toEqual({ type: 'ConfigurationError', message: "hook service 'nope' is not among the model's services: redeploy the pipeline stack" });
    aws.ssm.set(MODEL, JSON.stringify(model));
    clearModelCache();
    aws.ecs.definitions.get(TD)!.containerDefinitions = [];
    expect((await run('job-b')).report.body.failureDetails).toEqual({
      type: 'ConfigurationError',
      message: `hook beforeDeploy: task definition ${TD} has no application container zed (it has none): fix the hook service's containerImages`,
    });
    expect(aws.calls('ECS.RunTask')).toEqual([]);
  });

  test('ECS starts no task: each failure with its detail and resource, or that none was given', async () => {
    setupShop(aws);
    aws.ecs.api.RunTask = () => ({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY', detail: 'no room', arn: 'arn:x' }, { reason: 'AGENT' }] });
    const where = `ECS RunTask of ${TD} (hook beforeDeploy) in cluster production: ECS started no task`;
    expect((await run('job-a')).report.body.failureDetails).toEqual({ type: 'JobFailed', message: `${where}: RESOURCE:MEMORY (no room) for arn:x; AGENT` });
    aws.ecs.api.RunTask = () => ({});
    expect((await run('job-b')).report.body.failureDetails).toEqual({ type: 'JobFailed', message: `${where}: no reason given` });
  });

  test('while the task runs: its status, the time and the limit; a task definition gone by the end: said instead of log lines', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 1, runMs: 120_000, logs: ['x'] });
    const handler = defineStep(step, aws.deps());
    await handler(aws.event({ id: 'job-a', params: PRE }), aws.context(20_000));
    expect(aws.codepipeline.reports[0].body.executionDetails).toEqual({ summary: expect.stringMatching(/^hook beforeDeploy: task \w+ PROVISIONING for 5 s \(limit 30 min\)$/) });
    aws.ecs.definitions.delete(TD);
    const { report } = await aws.runJob(handler, { id: 'job-b', params: PRE, continuationToken: aws.codepipeline.reports[0].body.continuationToken });
    expect(report.body.failureDetails.message).toMatch(/ container zed exit code 1\.\n\(no log lines: the task definition is gone\)$/);
  });

  test('the out-of-memory hint whatever the case of the reason', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 137, reason: 'outofmemoryerror: killed' });
    const { report } = await run();
    expect(report.body.failureDetails.message.split('\n')[0]).toMatch(
      /container zed exit code 137 \(outofmemoryerror: killed\); container log-router exit code 0\. The container ran out of memory: raise the memory of the hook service's task definition\.$/,
    );
  });
});

describe('the timeline edges a hook task gives, at ECS times', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const EXECUTION = 'pe-timeline';
  const SUSPEND = 'vendor/bin/console scheduler:suspend -vvv --no-ansi';
  const SETUP = 'vendor/bin/console scheduler:setup -vvv --no-ansi';
  const records = () => new StepTable(new DynamoDBClient(aws.deps().clientConfig!), STEP_TABLE, () => aws.clock.now, call).records();
  /** Every recorded edge of the execution, as stored: `state/edge` -> {at, by, note}. */
  async function marks() {
    const table = records();
    const found: Record<string, unknown> = {};
    for (const state of TIMELINE_STATES) {
      for (const edge of ['start', 'end'] as const) {
        const mark = await table.get<{ at: number; by: string; note?: string }>(timelineKey(EXECUTION, state, edge));
        if (mark) found[`${state}/${edge}`] = { at: mark.at, by: mark.by, note: mark.note };
      }
    }
    return found;
  }
  const run = (hook: string, then: string | undefined, id = 'job-t') =>
    aws.runJob(defineStep(step, aws.deps()), { id, stage: 'Deploy', action: `Run_${hook}`, pipelineExecutionId: EXECUTION, params: { model: MODEL, hook, taskDefinition: 'live', ...(then && { then }), timeoutMinutes: 30 } });
  /** The task's ECS start and stop times, and its id. */
  function times(runMs: number) {
    const [task] = [...aws.ecs.tasks.values()];
    const started = task.createdAt + TASK_START_MS;
    return { id: task.arn.split('/').pop()!, started, stopped: started + runMs };
  }

  test('beforeDeploy with scheduler:suspend, exit 0: the hook from its start to its stop, the scheduler paused from the stop', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 30_000 });
    expect((await run('beforeDeploy', SUSPEND)).report.kind).toBe('success');
    const { id, started, stopped } = times(30_000);
    const by = 'Deploy/Run_beforeDeploy';
    expect(await marks()).toEqual({
      'preDeployHook/start': { at: started, by, note: `task ${id}` },
      'preDeployHook/end': { at: stopped, by, note: `task ${id} exit 0` },
      'schedulerPaused/start': { at: stopped, by, note: 'scheduler:suspend' },
    });
  });

  test('beforeDeploy that exits 1: the hook ends, the scheduler command never ran so nothing is paused', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 1, runMs: 30_000 });
    expect((await run('beforeDeploy', SUSPEND)).report.kind).toBe('failure');
    const { id, stopped } = times(30_000);
    expect(Object.keys(await marks())).toEqual(['preDeployHook/start', 'preDeployHook/end']);
    expect((await marks())['preDeployHook/end']).toEqual({ at: stopped, by: 'Deploy/Run_beforeDeploy', note: `task ${id} exit 1` });
  });

  test('a task that never started: no start edge, the end says there was no exit code', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ failToStart: 'CannotPullContainerError: not found' });
    await run('beforeDeploy', SUSPEND);
    const [task] = [...aws.ecs.tasks.values()];
    expect(await marks()).toEqual({ 'preDeployHook/end': { at: task.createdAt + TASK_START_MS, by: 'Deploy/Run_beforeDeploy', note: `task ${task.arn.split('/').pop()} exit none` } });
  });

  test('the end is taken from a STOPPED reading only: a deprovisioning one (exit code not final) claims nothing', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 30_000 });
    // The first reading after the stop says DEPROVISIONING, with the stop time but no exit code yet.
    let deprovisioning = true;
    const describe = aws.ecs.api.DescribeTasks;
    aws.ecs.api.DescribeTasks = (body) => {
      const out = describe(body) as { tasks: { lastStatus?: string; containers: { exitCode?: number }[] }[] };
      const [task] = out.tasks;
      if (task.lastStatus !== 'STOPPED' || !deprovisioning) return out;
      deprovisioning = false;
      return { ...out, tasks: [{ ...task, lastStatus: 'DEPROVISIONING', containers: task.containers.map(({ exitCode: _, ...c }) => c) }] };
    };
    expect((await run('beforeDeploy', SUSPEND)).report.kind).toBe('success');
    expect(deprovisioning).toBe(false);
    const { id, stopped } = times(30_000);
    expect((await marks())['preDeployHook/end']).toEqual({ at: stopped, by: 'Deploy/Run_beforeDeploy', note: `task ${id} exit 0` });
  });

  test.each(['install', 'destructiveInstall'])('%s with scheduler:setup, exit 0: the database ahead from the start, the scheduler resumed and the sync catch-up from the stop', async (hook) => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 50_000 });
    expect((await run(hook, SETUP)).report.kind).toBe('success');
    const { id, started, stopped } = times(50_000);
    const by = `Deploy/Run_${hook}`;
    expect(await marks()).toEqual({
      'schedulerPaused/end': { at: stopped, by, note: 'scheduler:setup' },
      'dbAheadOfServices/start': { at: started, by, note: `task ${id}: migrations` },
      'syncCatchUp/start': { at: stopped, by, note: 'scheduler:setup' },
    });
  });

  test('an install that exits 1: the database is ahead, the scheduler stays paused (setup never ran)', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 1, runMs: 50_000 });
    await run('install', SETUP);
    expect(Object.keys(await marks())).toEqual(['dbAheadOfServices/start']);
  });

  test('afterDeploy without a scheduler command marks nothing; the start of a long hook is written once, not at every check', async () => {
    setupShop(aws, { hooks: { beforeDeploy: 'vendor/bin/install -r pre-deploy', afterDeploy: 'vendor/bin/console cache:warm' } });
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 30_000 });
    expect((await run('afterDeploy', undefined)).report.kind).toBe('success');
    expect(aws.calls('ECS.RunTask')).toHaveLength(1);
    expect(await marks()).toEqual({});
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 300_000 });
    await run('beforeDeploy', SUSPEND, 'job-long');
    const startWrites = aws.calls('DynamoDB.PutItem').filter((b) => JSON.stringify(b).includes('preDeployHook#start'));
    expect(startWrites).toHaveLength(1);
  });
});

describe('the RunTask request and the checks before it, at their edges', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const PRE = { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', timeoutMinutes: 30 };
  const run = (params: object = PRE, id = 'job-req') => aws.runJob(defineStep(step, aws.deps()), { id, params });
  const TD = 'arn:aws:ecs:eu-central-1:123456789012:task-definition/production-zed:1';
  const hooked = (beforeDeploy: string) => setupShop(aws, { hooks: { beforeDeploy } });

  test('an override of exactly 8192 characters runs; one character more is refused before RunTask', async () => {
    // The override's length grows by one with each character of a plain hook.
    const overhead = JSON.stringify(hookOverrides('zed', hookCommand('x', undefined)!)).length - 1;
    hooked('x'.repeat(MAX_OVERRIDES_LENGTH - overhead));
    expect((await run(PRE, 'job-fits')).report.kind).toBe('success');
    expect(JSON.stringify(aws.calls('ECS.RunTask')[0].overrides)).toHaveLength(MAX_OVERRIDES_LENGTH);
    clearModelCache();
    hooked('x'.repeat(MAX_OVERRIDES_LENGTH - overhead + 1));
    expect((await run(PRE, 'job-over')).report.body.failureDetails).toEqual({
      type: 'ConfigurationError',
      message: 'hook beforeDeploy: the command override is 8193 characters, ECS accepts 8192: move the commands into a script in the image',
    });
    expect(aws.calls('ECS.RunTask')).toHaveLength(1);
  });

  test.each([
    ['an empty subnet list', { awsvpcConfiguration: { subnets: [] } }],
    ['a network configuration without awsvpc', {}],
    ['an awsvpc configuration without subnets', { awsvpcConfiguration: {} }],
  ])('an awsvpc task with %s is refused, naming the service', async (_, network) => {
    setupShop(aws);
    aws.ecs.services.get('production-zed')!.network = network;
    expect((await run()).report.body.failureDetails).toEqual({
      type: 'ConfigurationError',
      message: 'hook beforeDeploy: task definition production-zed:1 uses awsvpc networking, but service production-zed has no subnets to run the task in: give the service a network configuration',
    });
    expect(aws.calls('ECS.RunTask')).toEqual([]);
  });

  test('a bridge-mode task needs no subnets; the request copies the service: launch type, platform, network', async () => {
    setupShop(aws);
    aws.ecs.definitions.get(TD)!.networkMode = 'bridge';
    delete aws.ecs.services.get('production-zed')!.network;
    // ECS lists an empty strategy for a launch-type service: the launch type is what runs the task.
    const describe = aws.ecs.api.DescribeServices;
    aws.ecs.api.DescribeServices = (body) => {
      const out = describe(body) as { services: object[] };
      return { ...out, services: out.services.map((s) => ({ ...s, capacityProviderStrategy: [] })) };
    };
    expect((await run()).report.kind).toBe('success');
    expect(aws.calls('ECS.RunTask')).toEqual([
      {
        cluster: 'production',
        taskDefinition: TD,
        count: 1,
        clientToken: 'job-req',
        startedBy: 'pipeline-beforeDeploy',
        launchType: 'FARGATE',
        platformVersion: 'LATEST',
        overrides: { containerOverrides: [{ name: 'zed', command: ['sh', '-c', 'sh -ec "$1"', 'spryker-hook', 'vendor/bin/install -r pre-deploy -vvv'] }] },
      },
    ]);
  });

  test('a hook service with two application containers, neither in the task definition: both named, and what it has', async () => {
    const model = setupShop(aws);
    aws.ssm.set(MODEL, JSON.stringify({ ...model, services: model.services.map((s) => (s.app === 'zed' ? { ...s, containers: { php: 'zed', worker: 'zed' } } : s)) }));
    expect((await run()).report.body.failureDetails).toEqual({
      type: 'ConfigurationError',
      message: `hook beforeDeploy: task definition ${TD} has no application container php or worker (it has zed, log-router): fix the hook service's containerImages`,
    });
  });

  test('invalid parameters name the step and the field; nothing is asked of ECS', async () => {
    setupShop(aws);
    const { report } = await run({ ...PRE, timeoutMinutes: 0 });
    expect(report.body.failureDetails).toEqual({ type: 'ConfigurationError', message: expect.stringMatching(/^run-hook: invalid UserParameters: timeoutMinutes: /) });
    expect(aws.requests.filter((r) => r.op.startsWith('ECS.'))).toEqual([]);
  });

  test('too little Lambda time to start: the continuation says which step resumes', async () => {
    setupShop(aws);
    await defineStep(step, aws.deps())(aws.event({ id: 'job-late', params: PRE }), aws.context(3_000));
    expect(aws.codepipeline.reports[0].body.executionDetails.summary).toBe('run-hook: too little time left in this invocation; resuming');
  });

  test('helpers: an empty or blank hook runs nothing; a short head keeps the title and cuts the one log line', () => {
    expect(hookCommand('', undefined)).toBeUndefined();
    expect(hookCommand('  ', 'c')).toEqual(['sh', '-c', 'sh -ec "$1"', 'spryker-hook', 'c']);
    expect(fitTail('H', 'T\nxyz', 5)).toBe('H\nT\nx');
  });
});

describe('watching the task: the time limit at its edge, sparse ECS replies', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const PRE = { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', timeoutMinutes: 1 };
  const run = (id = 'job-watch') => aws.runJob(defineStep(step, aws.deps()), { id, params: PRE });
  /** Rewrites each task ECS describes. */
  function rewriteTasks(rewrite: (task: { lastStatus?: string; containers?: { name?: string }[] }) => object) {
    const describe = aws.ecs.api.DescribeTasks;
    aws.ecs.api.DescribeTasks = (body) => {
      const out = describe(body) as { tasks: { lastStatus?: string }[] };
      return { ...out, tasks: out.tasks.map(rewrite) };
    };
  }

  test('a check exactly at the limit lets the task run on; the next check, past it, stops it', async () => {
    // Checks every 5 s from the start: the task (20 s to start) stops at 65 s, the limit is 60 s.
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 45_000 });
    expect((await run('job-in-time')).report.kind).toBe('success');
    expect(aws.calls('ECS.StopTask')).toEqual([]);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 50_000 });
    const started = aws.clock.now;
    const { report } = await run('job-late');
    expect(report.body.failureDetails.message).toMatch(/ ran past its time limit of 1 min \(hookTimeouts\.beforeDeploy\) \(RUNNING after 1 min\): the task was stopped\./);
    expect(aws.calls('ECS.StopTask')).toHaveLength(1);
    expect(aws.clock.now - started).toBe(65_000);
  });

  test('a task ECS describes without a status: PENDING while it waits and when it is stopped at the limit', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: Infinity });
    rewriteTasks(({ lastStatus, ...task }) => (lastStatus === 'STOPPED' ? { lastStatus, ...task } : task));
    const { report } = await run();
    expect(report.body.failureDetails.message).toMatch(/ ran past its time limit of 1 min \(hookTimeouts\.beforeDeploy\) \(PENDING after 1 min\): the task was stopped\./);
  });

  test('a task described without containers is waited for; a stopped one without the watched container fails, never passes', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 10_000 });
    rewriteTasks(({ containers, ...task }) => (task.lastStatus === 'STOPPED' ? { ...task, containers: containers!.filter((c) => c.name !== 'zed') } : task));
    const { report } = await run();
    expect(report.kind).toBe('failure');
    expect(report.body.failureDetails.message.split('\n')[0]).toMatch(/^hook beforeDeploy: task \w+ of production-zed:1 in cluster production failed: task \w+: EssentialContainerExited: Essential container in task exited; container log-router exit code 0\.$/);
  });

  test('DescribeTasks refused: the failure names the call, the task and the cluster', async () => {
    setupShop(aws);
    aws.fail('ECS.DescribeTasks', 'AccessDeniedException', 'not authorized to perform: ecs:DescribeTasks');
    const { report } = await run();
    expect(report.body.failureDetails).toEqual({ type: 'PermissionError', message: expect.stringMatching(/^ECS DescribeTasks \w+ in cluster production failed: AccessDeniedException: not authorized/) });
  });
});

describe('the log lines: which task runs the hook, who turned maintenance on and that it was lifted', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const TD = 'arn:aws:ecs:eu-central-1:123456789012:task-definition/production-zed:1';
  const CONFIG = '/production/pipeline/maintenance';
  let logged: unknown[];
  beforeEach(() => {
    logged = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(JSON.parse(line)));
  });
  afterEach(() => jest.restoreAllMocks());
  /** The step's own lines (the job runtime logs through its logger, not console.log). */
  const hookLines = () => logged.filter((l) => typeof l === 'object' && l !== null && 'hook' in l);

  const config: MaintenanceConfig = { v: 1, env: 'production', listenerArn: LISTENER, priority: 1, allowedIps: ['203.0.113.0/24'], page: 'back soon', contentType: 'text/plain' };
  /** Runs the install with maintenance; `before` may turn maintenance on first (as `owner`). */
  async function install(before?: string) {
    setupShop(aws);
    const alb = new FakeListener('tg-yves');
    aws.ssm.set(CONFIG, JSON.stringify(config));
    try {
      if (before) await enableMaintenance(alb.client, config, before);
      const params = { model: MODEL, hook: 'install', taskDefinition: 'live', timeoutMinutes: 60, maintenance: CONFIG };
      const { report } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-log', stage: 'Deploy', action: 'Run_install', pipelineExecutionId: 'pe-log', params });
      const records = new StepTable(new DynamoDBClient(aws.deps().clientConfig!), STEP_TABLE, () => aws.clock.now, call).records();
      const mark = (edge: 'start' | 'end') => records.get<{ at: number; by: string }>(timelineKey('pe-log', 'maintenance', edge));
      return { report, rules: alb.maintenanceRules(), start: await mark('start'), end: await mark('end') };
    } finally {
      alb.mock.restore();
    }
  }

  test('maintenance already on for this very execution (a twin delivery turned it on) is ours: lifted at the end', async () => {
    const { report, rules, end } = await install('pe-log');
    expect(report.body.executionDetails.summary).toMatch(/; maintenance mode lifted$/);
    expect(rules).toEqual([]);
    expect(end).toMatchObject({ by: 'Deploy/Run_install' });
  });

  test("maintenance on for another owner stays on, and is not on this execution's timeline", async () => {
    const { report, rules, start, end } = await install('the-maintenance-pipeline');
    expect(report.body.executionDetails.summary).not.toMatch(/lifted/);
    expect(rules).not.toEqual([]);
    expect([start, end]).toEqual([undefined, undefined]);
  });

  test('with maintenance: on (by this execution), the task and its container, then lifted; both edges on the timeline', async () => {
    const started = aws.clock.now;
    const { report, start, end } = await install();
    expect(report.kind).toBe('success');
    expect(start).toEqual({ v: 1, at: started, by: 'Deploy/Run_install' });
    expect(end).toEqual({ v: 1, at: aws.clock.now, by: 'Deploy/Run_install' });
    const [task] = [...aws.ecs.tasks.keys()];
    expect(hookLines()).toEqual([
      { hook: 'install', maintenance: expect.stringMatching(/^maintenance of production on: 503 for everyone else/), owner: 'pe-log' },
      { hook: 'install', task, taskDefinition: TD, container: 'zed' },
      { hook: 'install', maintenance: expect.stringMatching(/^maintenance of production off/) },
    ]);
  });
});
