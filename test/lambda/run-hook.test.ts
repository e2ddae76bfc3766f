import { ECSClient, RunTaskCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { clientToken, fitTail, hookCommand, step } from '../../lambda/run-hook';
import { defineStep, encodeToken, MAX_FAILURE_MESSAGE } from '../../lambda/runtime/job';
import { FakeAws } from '../fakes/aws';
import { ARTIFACTS, MODEL, putArtifact, setupShop, td, useFakeAws, V2 } from '../fakes/shop';

const RELEASE_INPUT = { name: 'Release', bucket: ARTIFACTS, key: 'run/Release/release.zip' };

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const SUSPEND = 'vendor/bin/console scheduler:suspend -vvv --no-ansi';
const PRE = { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', then: SUSPEND, timeoutMinutes: 30 };
const run = (params: object = PRE, id = 'job-1', options = {}) => aws.runJob(defineStep(step, aws.deps()), { id, params }, options);
const INSTALL_LOG = Array.from({ length: 60 }, (_, i) => `[install] step ${i + 1}`);

test('a hook that exits 1 fails with exit code, stop code, reason and the last 30 log lines', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ exitCode: 1, logs: [...INSTALL_LOG, 'In Connection.php line 79: SQLSTATE[HY000] [2002] Connection refused'] });
  const { report } = await run();
  expect(report.kind).toBe('failure');
  const message: string = report.body.failureDetails.message;
  expect(report.body.failureDetails.type).toBe('JobFailed');
  expect(message).toMatch(/^hook beforeDeploy: task \w+ of production-zed:1 in cluster production failed: task \w+: EssentialContainerExited: Essential container in task exited; container zed exit code 1; container log-router exit code 0\./);
  expect(message).toContain('last 30 log lines of /ecs/production-zed spryker/zed/');
  expect(message).toContain('SQLSTATE[HY000] [2002] Connection refused');
  expect(message).toContain('[install] step 32');
  expect(message).not.toContain('[install] step 31\n');
  expect(aws.ecs.tasks.size).toBe(1);
});

test('a task that never starts (image pull error) says so, and that there are no log lines', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ failToStart: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found' });
  const { report } = await run();
  expect(report.body.failureDetails.message).toMatch(
    /TaskFailedToStart: CannotPullContainerError: pull image manifest .* not found; container zed no exit code \(CannotPullContainerError.*\)\. The task never started: check the image exists.*\n\(no log stream \/ecs\/production-zed spryker\/zed\/\w+: the container never started\)$/,
  );
});

test('an out-of-memory container is named as such with the fix', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage', logs: ['PHP Fatal error: Allowed memory size exhausted'] });
  const { report } = await run();
  expect(report.body.failureDetails.message).toMatch(/container zed exit code 137 \(OutOfMemoryError: Container killed due to memory usage\); container log-router exit code 0\. The container ran out of memory: raise the memory/);
  expect(report.body.failureDetails.message).toMatch(/last 1 log lines of .*\nPHP Fatal error: Allowed memory size exhausted$/);
});

test('duplicate delivery of the same job starts one task and reports once', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: 10_000 });
  const handler = defineStep(step, aws.deps());
  const event = aws.event({ id: 'job-dup', params: PRE });
  await Promise.all([handler(event, aws.context()), handler(event, aws.context())]);
  // The job runtime's exactly-once record: the delivery that lost the race does nothing, reports nothing.
  expect(aws.calls('ECS.RunTask').map((r) => r.clientToken)).toEqual(['job-dup']);
  expect(aws.ecs.tasks.size).toBe(1);
  const reports = aws.codepipeline.reports.filter((r) => r.jobId === 'job-dup');
  expect(reports).toHaveLength(1);
  expect(reports[0].kind).toBe('success');
  expect(aws.calls('CodePipeline.PutJobSuccessResult')).toHaveLength(1);
});

test('a resumed job never starts a second task', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: 900_000 });
  const { report, invocations, tokens } = await run(PRE, 'job-long', { lambdaMs: 60_000 });
  expect(report.kind).toBe('success');
  expect(invocations).toBeGreaterThan(10);
  expect(aws.calls('ECS.RunTask')).toHaveLength(1);
  expect(new Set(FakeAws.states(tokens).map((s) => (s as { task: string }).task)).size).toBe(1);
});

test('a corrupted continuation token fails the job before touching ECS', async () => {
  setupShop(aws);
  await defineStep(step, aws.deps())(aws.event({ id: 'job-bad', params: PRE, continuationToken: 'eyJ2IjoxLCJzIjp7InRhc2siOi' }), aws.context());
  const [report] = aws.codepipeline.reports;
  expect(report).toMatchObject({ kind: 'failure', body: { failureDetails: { type: 'JobFailed', message: expect.stringMatching(/^continuation token is corrupted/) } } });
  expect(aws.requests.filter((r) => r.op.startsWith('ECS.'))).toEqual([]);
});

test('with the Lambda time nearly spent nothing starts; the next invocation starts the task', async () => {
  setupShop(aws);
  const handler = defineStep(step, aws.deps());
  await handler(aws.event({ id: 'job-late', params: PRE }), aws.context(3_000));
  const [first] = aws.codepipeline.reports;
  expect(first.kind).toBe('success');
  expect(first.body.continuationToken).toBeDefined();
  expect(aws.calls('ECS.RunTask')).toHaveLength(0);
  const { report } = await aws.runJob(handler, { id: 'job-late-c1', params: PRE, continuationToken: first.body.continuationToken });
  expect(report.kind).toBe('success');
  expect(aws.calls('ECS.RunTask')).toHaveLength(1);
});

test('time running low while the task runs hands back its state; the task keeps running', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: 120_000 });
  await defineStep(step, aws.deps())(aws.event({ id: 'job-t', params: PRE }), aws.context(30_000));
  const [report] = aws.codepipeline.reports;
  expect(report.body.executionDetails.summary).toMatch(/^hook beforeDeploy: task \w+ (PROVISIONING|RUNNING) for \d+ s \(limit 30 min\)$/);
  expect(FakeAws.states([report.body.continuationToken])[0]).toMatchObject({ task: expect.stringContaining(':task/production/'), container: 'zed' });
});

test('AccessDenied on RunTask is a PermissionError naming the call, task definition and cluster', async () => {
  setupShop(aws);
  aws.fail('ECS.RunTask', 'AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/hook is not authorized to perform: ecs:RunTask');
  const { report } = await run();
  expect(report.body.failureDetails).toEqual({
    type: 'PermissionError',
    message: expect.stringMatching(/^ECS RunTask of arn:aws:ecs:.*:task-definition\/production-zed:1 \(hook beforeDeploy\) in cluster production failed: AccessDeniedException: .*ecs:RunTask \(the step's role lacks a permission/),
  });
});

test('a hook service missing from the cluster is a ConfigurationError; nothing starts', async () => {
  setupShop(aws);
  aws.ecs.services.delete('production-zed');
  const { report } = await run();
  expect(report.body.failureDetails).toEqual({ type: 'ConfigurationError', message: expect.stringMatching(/^ECS service\(s\) production-zed not found \(or not ACTIVE\) in cluster production/) });
  expect(aws.calls('ECS.RunTask')).toHaveLength(0);
});

test("a 'true' hook still runs the scheduler command; with nothing left no task starts", async () => {
  setupShop(aws, { hooks: { beforeDeploy: 'true', afterDeploy: ' true ' } });
  await run();
  expect(aws.calls('ECS.RunTask')[0].overrides.containerOverrides[0].command).toEqual(['sh', '-c', 'sh -ec "$1"', 'spryker-hook', SUSPEND]);
  const { report } = await run({ model: MODEL, hook: 'afterDeploy', taskDefinition: 'live', timeoutMinutes: 30 }, 'job-2');
  expect(report.body.executionDetails.summary).toMatch(/nothing to run/);
  expect(aws.calls('ECS.RunTask')).toHaveLength(1);
});

test('an override over 8192 characters is refused before RunTask', async () => {
  setupShop(aws, { hooks: { beforeDeploy: `echo ${'x'.repeat(8200)}` } });
  const { report } = await run();
  expect(report.body.failureDetails).toEqual({ type: 'ConfigurationError', message: expect.stringMatching(/command override is 83\d\d characters, ECS accepts 8192/) });
  expect(aws.calls('ECS.RunTask')).toHaveLength(0);
});

test('a task of a capacity-provider service runs with its strategy, not a launch type (request shape)', async () => {
  const ecs = mockClient(ECSClient);
  const ssmModel = { v: 1, env: 'p', cluster: 'c', services: [{ app: 'zed', service: 'p-zed', containers: { zed: 'zed' } }], scheduler: { app: 'scheduler', service: 'p-s', containers: {} }, hookService: 'zed', hooks: { beforeDeploy: 'hook' } };
  aws.ssm.set('/p/model', JSON.stringify(ssmModel));
  const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'p-zed', status: 'ACTIVE', taskDefinition: 'arn:td/p-zed:7', launchType: undefined, capacityProviderStrategy: strategy, networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } } }] });
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [{ name: 'sidecar', essential: false }, { name: 'zed' }] } });
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/c/abc' }] });
  ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: 'arn:task/c/abc', lastStatus: 'STOPPED', containers: [{ name: 'zed', exitCode: 0 }] }] });
  const jobId = 'a'.repeat(70);
  await defineStep(step, aws.deps())(aws.event({ id: jobId, params: { model: '/p/model', hook: 'beforeDeploy', taskDefinition: 'live', timeoutMinutes: 30 } }), aws.context());
  expect(ecs.commandCalls(RunTaskCommand)[0].args[0].input).toEqual({
    cluster: 'c',
    taskDefinition: 'arn:td/p-zed:7',
    count: 1,
    clientToken: 'a'.repeat(64),
    startedBy: 'pipeline-beforeDeploy',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } },
    launchType: undefined,
    capacityProviderStrategy: strategy,
    platformVersion: undefined,
    overrides: { containerOverrides: [{ name: 'zed', command: ['sh', '-c', 'sh -ec "$1"', 'spryker-hook', 'hook'] }] },
  });
  expect(aws.codepipeline.reports[0].kind).toBe('success');
  ecs.restore();
});

test('helpers: the script, the token, the tail that fits', () => {
  expect(hookCommand(undefined, undefined)).toBeUndefined();
  expect(hookCommand('true', undefined)).toBeUndefined();
  expect(hookCommand('a && b', 'c')).toEqual(['sh', '-c', 'sh -ec "$1" && sh -ec "$2"', 'spryker-hook', 'a && b', 'c']);
  expect(clientToken('0f1e/2d:3c')).toBe('0f1e2d3c');
  const fitted = fitTail('HEAD', ['title:', ...Array.from({ length: 100 }, (_, i) => `line ${i}`)].join('\n'), 200);
  expect(fitted.length).toBeLessThanOrEqual(200);
  expect(fitted).toMatch(/^HEAD\ntitle: …\n(line \d+\n)+line 99$/);
  expect(encodeToken({ task: 'arn:aws:ecs:eu-central-1:123456789012:task/production/0123456789abcdef0123456789abcdef', taskDefinition: 'arn:aws:ecs:eu-central-1:123456789012:task-definition/production-backend-gateway:1234', container: 'backend-gateway', startedAt: Date.now() }).length).toBeLessThan(500);
});

test('a hook that never ends is stopped at its limit: StopTask once, the failure names hook, task, limit and last log lines', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: Infinity, logs: ['[install] propel:migrate', 'waiting for lock on table spy_product'] });
  const started = aws.clock.now;
  const { report, invocations } = await run({ ...PRE, timeoutMinutes: 30 }, 'job-forever', { lambdaMs: 14 * 60_000 });
  const stops = aws.calls('ECS.StopTask');
  expect(stops).toEqual([{ cluster: 'production', task: expect.stringContaining(':task/production/'), reason: 'pipeline: hook beforeDeploy exceeded its time limit of 30 min (hookTimeouts.beforeDeploy)' }]);
  expect(report.kind).toBe('failure');
  expect(report.body.failureDetails.message).toMatch(
    /^hook beforeDeploy: task (\w+) of production-zed:1 in cluster production ran past its time limit of 30 min \(hookTimeouts\.beforeDeploy\) \(RUNNING after 30 min\): the task was stopped\. Make the hook faster, or raise hookTimeouts\.beforeDeploy\.\nlast 2 log lines of \/ecs\/production-zed spryker\/zed\/\1:\n\[install\] propel:migrate\nwaiting for lock on table spy_product$/,
  );
  expect(aws.clock.now - started).toBeLessThan(31 * 60_000);
  expect(invocations).toBeLessThanOrEqual(3); // 30 minutes of waiting at 14 minutes an invocation
  expect(aws.ecs.tasks.size).toBe(1);
});

test('a StopTask that fails says the task may still run and how to stop it', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: Infinity });
  aws.fail('ECS.StopTask', 'AccessDeniedException', 'not authorized to perform: ecs:StopTask', 3);
  const { report } = await run({ ...PRE, timeoutMinutes: 1 }, 'job-nostop');
  expect(report.body.failureDetails.message).toMatch(/ran past its time limit of 1 min .*: stopping it failed \(AccessDeniedException: .*\): the task may still run: aws ecs stop-task --cluster production --task \w+\./);
});

test('the application container decides, not a sidecar: app exit 1 with the sidecar exiting 0 fails; the reverse succeeds', async () => {
  setupShop(aws);
  aws.ecs.nextTasks.push({ exitCode: 1, sidecarExitCode: 0, logs: ['boom'] }, { exitCode: 0, sidecarExitCode: 1 });
  const failed = await run(PRE, 'job-app-1');
  expect(failed.report.kind).toBe('failure');
  expect(failed.report.body.failureDetails.message).toMatch(/failed: task \w+: EssentialContainerExited: .*; container zed exit code 1; container log-router exit code 0\.\nlast 1 log lines of \/ecs\/production-zed spryker\/zed\/\w+:\nboom$/);
  // The hint about tasks that never started belongs to that case only.
  expect(failed.report.body.failureDetails.message).not.toMatch(/never started/);
  const passed = await run(PRE, 'job-app-0');
  expect(passed.report).toMatchObject({ kind: 'success', body: { executionDetails: { summary: expect.stringMatching(/^hook beforeDeploy: task \w+ exited 0 after \d+ s$/) } } });
  expect(aws.calls('ECS.RunTask').map((r) => r.overrides.containerOverrides[0].name)).toEqual(['zed', 'zed']);
});

test('secrets in the log tail are masked in the failure message', async () => {
  setupShop(aws);
  const secrets = ['s3cr3t-db-pass', 'hunter2', 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMQ'];
  aws.ecs.nextTasks.push({
    exitCode: 1,
    logs: [
      'SQLSTATE[HY000] [1045] mysql://spryker:s3cr3t-db-pass@db.internal:3306/eu_production',
      'env SPRYKER_BROKER_PASSWORD=hunter2 SPRYKER_ENV=production',
      'aws_access_key_id AKIAIOSFODNN7EXAMPLE aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'git clone https://x-access-token:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/shop/app',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMQ',
      'commit 2222222222222222222222222222222222222222 deployed',
    ],
  });
  const { report } = await run();
  const message: string = report.body.failureDetails.message;
  for (const secret of secrets) expect(message).not.toContain(secret);
  expect(message).toContain('mysql://spryker:***@db.internal:3306/eu_production');
  expect(message).toContain('SPRYKER_BROKER_PASSWORD=*** SPRYKER_ENV=production');
  expect(message).toContain('commit 2222222222222222222222222222222222222222 deployed'); // a commit hash is no secret
});

test('a release naming a foreign family or environment: no task, before anything changes', async () => {
  setupShop(aws);
  const release = { v: 1, env: 'production', version: V2, preparedAt: '2026-01-01T00:00:00.000Z', services: [{ app: 'zed', service: 'production-zed', previousTaskDefinition: td('production-zed', 1), taskDefinition: td('attacker', 1) }] };
  putArtifact(aws, RELEASE_INPUT, { 'release.json': JSON.stringify(release) });
  const install = { model: MODEL, hook: 'install', taskDefinition: 'release', then: 'vendor/bin/console scheduler:setup -vvv --no-ansi', timeoutMinutes: 60 };
  const { report } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-forged', params: install, inputs: [RELEASE_INPUT] });
  expect(report.body.failureDetails.message).toMatch(/^release 2{40} refused, nothing was changed: service production-zed would run ".*task-definition\/attacker:1", not a revision of its own family/);
  expect(aws.calls('ECS.RunTask')).toHaveLength(0);
});

describe('fitTail at the 5000-character failure limit', () => {
  const HEAD = 'H'.repeat(100);
  const tailOf = (lines: number, width: number) => ['last log lines:', ...Array.from({ length: lines }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(width - 4)}`)].join('\n');

  test('a message of exactly 5000 characters is kept whole; one more drops the oldest line, never the newest', () => {
    // 48 log lines, then a last line padded so that the whole message is exactly the limit.
    const base = `${HEAD}\n${tailOf(48, 99)}`;
    const exact = `${base}\n${'z'.repeat(MAX_FAILURE_MESSAGE - base.length - 1)}`;
    expect(exact.length).toBe(MAX_FAILURE_MESSAGE);
    const tail = exact.slice(HEAD.length + 1);
    expect(fitTail(HEAD, tail, MAX_FAILURE_MESSAGE)).toBe(exact);
    const over = fitTail(HEAD, `${tail}z`, MAX_FAILURE_MESSAGE);
    expect(over.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE);
    expect(over.startsWith(`${HEAD}\nlast log lines: …\n0001`)).toBe(true); // line 0000 went
    expect(over.endsWith(`${'z'.repeat(MAX_FAILURE_MESSAGE - base.length - 1)}z`)).toBe(true);
  });

  test('one newest line longer than the limit is cut to it', () => {
    const fitted = fitTail(HEAD, `title:\n${'y'.repeat(6000)}`, MAX_FAILURE_MESSAGE);
    expect(fitted.length).toBe(MAX_FAILURE_MESSAGE);
    expect(fitted.startsWith(`${HEAD}\ntitle:`)).toBe(true);
  });
});
