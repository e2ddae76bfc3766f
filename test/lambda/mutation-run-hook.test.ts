import { clientToken, fitTail, step, withNote } from '../../lambda/run-hook';
import { defineStep, MAX_FAILURE_MESSAGE } from '../../lambda/runtime/job';
import { clearModelCache } from '../../lambda/runtime/load-model';
import type { FakeAws } from '../fakes/aws';
import { MODEL, setupShop, useFakeAws } from '../fakes/shop';

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
    await run();
    expect(aws.calls('ECS.RunTask')[0].overrides.containerOverrides.map((o: { name: string }) => o.name)).toEqual(['zed']);
  });

  test('a task ECS no longer knows fails with what to check', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 120_000 });
    const describe = aws.ecs.api.DescribeTasks;
    aws.ecs.api.DescribeTasks = (body) => ({ ...(describe(body) as object), tasks: [] });
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
    aws.ecs.api.RunTask = () => ({ tasks: [] });
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
