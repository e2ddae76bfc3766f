import * as z from 'zod';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, RunTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { arnId } from '../../lambda/runtime/arn';
import { describeServices, describeStoppedTask, stoppedTaskReasons } from '../../lambda/runtime/ecs';
import { StepFailure } from '../../lambda/runtime/job';
import { clearModelCache, loadModel, MODEL_CACHE_MS } from '../../lambda/runtime/load-model';
import { logTail } from '../../lambda/runtime/log-tail';
import { mapLimit } from '../../lambda/runtime/map-limit';
import { selectServices, type DeploymentModel } from '../../lambda/runtime/model';
import { parseParams } from '../../lambda/runtime/params';
import { parseImages, parseRelease, releaseOf, type ReleaseManifest } from '../../lambda/runtime/release';
import { parseStackJson } from '../../lambda/runtime/stack-json';
import { FakeAws, REGION } from '../fakes/aws';
import { MODEL, setupShop, td, useFakeAws } from '../fakes/shop';

// The job runtime's helpers at their edges (mutation testing showed these behaviours unpinned):
// each assertion names the exact message or value a person or the next stage relies on.

/** The StepFailure a function throws (message and type), or a test failure when it does not throw. */
function failureOf(fn: () => unknown): { message: string; type: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StepFailure);
    return { message: (err as StepFailure).message, type: (err as StepFailure).failureType };
  }
  throw new Error('expected a StepFailure');
}

describe('arnId', () => {
  test('the last part of an ARN; nothing for nothing', () => {
    expect(arnId('arn:aws:ecs:eu-central-1:1:task/production/0123abc')).toBe('0123abc');
    expect(arnId('arn:aws:ecs:eu-central-1:1:task-definition/production-zed:3')).toBe('production-zed:3');
    expect(arnId('no-slash')).toBe('no-slash');
    expect(arnId(undefined)).toBe('');
  });
});

describe('parseParams', () => {
  const schema = z.strictObject({ model: z.string().min(1), count: z.number(), mode: z.enum(['a', 'b']), flag: z.boolean().optional(), note: z.string().min(1).optional() });
  const parse = (raw: unknown) => parseParams('demo', raw, schema);
  const FIX = ' (the pipeline stack writes them: redeploy it, or undo a hand edit of the action)';

  test('a valid object is returned, optional fields absent', () => {
    expect(parse({ model: '/m', count: 0, mode: 'b' })).toEqual({ model: '/m', count: 0, mode: 'b' });
    expect(parse({ model: '/m', count: 1, mode: 'a', flag: false, note: 'n' })).toEqual({ model: '/m', count: 1, mode: 'a', flag: false, note: 'n' });
  });

  test.each([
    [null, 'null'],
    [[], 'array'],
    ['text', 'string'],
    [3, 'number'],
  ])('%p is not a JSON object', (raw, type) => {
    expect(failureOf(() => parse(raw))).toEqual({ message: `demo: invalid UserParameters: expected object, got ${type}${FIX}`, type: 'ConfigurationError' });
  });

  test('every wrong field is named in one ConfigurationError, its value never', () => {
    expect(failureOf(() => parse({ model: '', count: '1', mode: 'c', flag: 'yes', note: 5, extra: 'secret' }))).toEqual({
      message:
        'demo: invalid UserParameters: model: expected a non-empty string; count: expected number, got string; mode: expected one of "a", "b"; ' +
        `flag: expected boolean, got string; note: expected string, got number; extra: unknown field${FIX}`,
      type: 'ConfigurationError',
    });
  });

  test('a required field may not be absent', () => {
    expect(failureOf(() => parse({ count: 1 })).message).toBe(`demo: invalid UserParameters: model: required; mode: required${FIX}`);
  });
});

describe('parseStackJson', () => {
  const schema = z.object({ v: z.literal(2), x: z.number() });
  test('returns the document of the expected version', () => {
    expect(parseStackJson('deployment model', '/p/model', '{"v":2,"x":1}', 2)).toEqual({ v: 2, x: 1 });
    expect(parseStackJson('deployment model', '/p/model', '{"v":2,"x":1}', 2, schema)).toEqual({ v: 2, x: 1 });
  });

  test.each([
    [undefined, 'deployment model /p/model is not JSON: redeploy the pipeline stack'],
    ['{', 'deployment model /p/model is not JSON: redeploy the pipeline stack'],
    ['{"v":1}', 'deployment model /p/model has version 1, this handler reads version 2: redeploy the pipeline stack'],
    ['null', 'deployment model /p/model has version undefined, this handler reads version 2: redeploy the pipeline stack'],
    ['{"v":2,"x":"1"}', 'deployment model /p/model is invalid: x: expected number, got string (redeploy the pipeline stack)'],
  ])('%p is refused as a stack/handler mismatch, the version checked first', (value, message) => {
    expect(failureOf(() => parseStackJson('deployment model', '/p/model', value, 2, schema))).toEqual({ message, type: 'ConfigurationError' });
  });
});

describe('mapLimit', () => {
  test('results in input order, never more than the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapLimit([30, 10, 20, 5, 1], 2, async (ms) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight--;
      return ms * 2;
    });
    expect(results).toEqual([60, 20, 40, 10, 2]);
    expect(most).toBe(2);
  });

  test('fewer items than the limit, and none', async () => {
    expect(await mapLimit([1], 10, async (n) => n + 1)).toEqual([2]);
    expect(await mapLimit([], 10, async (n: number) => n)).toEqual([]);
  });
});


describe('release manifests', () => {
  const release: ReleaseManifest = {
    v: 1,
    env: 'production',
    version: 'abc',
    preparedAt: '2026-01-01T00:00:00Z',
    services: [
      { app: 'zed', service: 'production-zed', previousTaskDefinition: 'td/zed:1', taskDefinition: 'td/zed:2' },
      { app: 'yves', service: 'production-yves', previousTaskDefinition: 'td/yves:1', taskDefinition: 'td/yves:2' },
    ],
  };

  test('parseRelease takes version 1; another version, or a wrong field, names what to rerun', () => {
    const FIX = 'rerun the pipeline from Pre_Deployment_Configuration';
    expect(parseRelease(JSON.stringify(release), 'release.json')).toEqual(release);
    expect(failureOf(() => parseRelease(JSON.stringify({ ...release, v: 2 }), 'release.json'))).toEqual({ message: `release.json has version 2, this handler reads version 1: ${FIX}`, type: 'JobFailed' });
    const { v: _v, ...unversioned } = release;
    expect(failureOf(() => parseRelease(JSON.stringify(unversioned), 'release.json')).message).toBe(`release.json is invalid: v: required (${FIX})`);
    expect(failureOf(() => parseRelease(JSON.stringify({ ...release, version: 7, services: {} }), 'release.json'))).toEqual({
      message: `release.json is invalid: version: expected string, got number; services: expected array, got object (${FIX})`,
      type: 'JobFailed',
    });
    expect(failureOf(() => parseRelease('{', 'release.json'))).toEqual({ message: expect.stringMatching(/^release\.json is not JSON \(/), type: 'JobFailed' });
  });

  test('releaseOf finds a service, or names those the release has', () => {
    expect(releaseOf(release, 'production-yves').taskDefinition).toBe('td/yves:2');
    expect(failureOf(() => releaseOf(release, 'production-glue'))).toEqual({
      message:
        'release abc has no task definition for service production-glue (it has: production-zed, production-yves): the model changed since Pre_Deployment_Configuration ran; rerun the pipeline',
      type: 'JobFailed',
    });
  });

  test('parseImages wants a version and an image per key; a manifest without `v` (built before it had one) is version 1', () => {
    const FIX = "(check Build_and_Prepare's output, or rerun the pipeline from Build_and_Prepare)";
    const images = { version: 'abc', images: { zed: 'r@sha256:1' } };
    expect(parseImages(JSON.stringify(images), 'images.json')).toEqual({ v: 1, ...images });
    expect(parseImages(JSON.stringify({ v: 1, ...images }), 'images.json')).toEqual({ v: 1, ...images });
    expect(failureOf(() => parseImages(JSON.stringify({ v: 2, ...images }), 'images.json')).message).toBe(
      "images.json has version 2, this handler reads version 1: check Build_and_Prepare's output, or rerun the pipeline from Build_and_Prepare",
    );
    for (const [bad, problems] of [
      [{ images: {} }, 'version: required'],
      [{ version: '', images: {} }, 'version: expected a non-empty string'],
      [{ version: 'abc' }, 'images: required'],
      [{ version: 'abc', images: null }, 'images: expected object, got null'],
      [{ version: 'abc', images: { zed: 1, yves: '' } }, 'images.zed: expected string, got number; images.yves: expected a non-empty string'],
    ] as const) {
      expect(failureOf(() => parseImages(JSON.stringify(bad), 'images.json'))).toEqual({ message: `images.json is invalid: ${problems} ${FIX}`, type: 'JobFailed' });
    }
  });

});

describe('selectServices', () => {
  const svc = (app: string) => ({ app, service: `production-${app}`, containers: { [app]: app } });
  const model = { services: [svc('zed'), svc('yves')], scheduler: svc('scheduler') } as DeploymentModel;
  test('application, scheduler, all (scheduler last)', () => {
    expect(selectServices(model, 'application').map((s) => s.app)).toEqual(['zed', 'yves']);
    expect(selectServices(model, 'scheduler').map((s) => s.app)).toEqual(['scheduler']);
    expect(selectServices(model, 'all').map((s) => s.app)).toEqual(['zed', 'yves', 'scheduler']);
  });
});

describe('describeStoppedTask', () => {
  test('why the task stopped, and each container that ended', () => {
    const task: Task = {
      taskArn: 'arn:aws:ecs:eu-central-1:1:task/production/abc',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'zed', exitCode: 1, reason: 'OutOfMemoryError: Container killed due to memory usage' },
        { name: 'log-router', exitCode: 0 },
        { name: 'pending-sidecar' },
        { name: 'never-ran', reason: 'CannotPullContainerError' },
      ],
    };
    expect(describeStoppedTask(task)).toBe(
      'task abc: EssentialContainerExited: Essential container in task exited; container zed exit code 1 (OutOfMemoryError: Container killed due to memory usage); ' +
        'container never-ran no exit code (CannotPullContainerError); container log-router exit code 0',
    );
  });

  test('a task with nothing said about it', () => {
    expect(describeStoppedTask({ taskArn: 'arn:aws:ecs:r:1:task/c/def' })).toBe('task def: stopped: no reason given');
  });
});

describe('against the fake AWS', () => {
  let aws: FakeAws;
  useFakeAws((started) => (aws = started));
  const client = <C>(ctor: new (config: object) => C) => new ctor({ endpoint: aws.url, region: REGION, maxAttempts: 1 });

  test('describeServices: every service, in batches of 10; all missing ones named at once', async () => {
    const model = setupShop(aws, { apps: Array.from({ length: 11 }, (_, i) => `app${i}`) });
    const names = model.services.map((s) => s.service);
    const found = await describeServices(client(ECSClient), 'production', names);
    expect([...found.keys()]).toEqual(names);
    expect(aws.calls('ECS.DescribeServices').map((b) => b.services.length)).toEqual([10, 1]);
    await expect(describeServices(client(ECSClient), 'production', ['production-app0', 'production-nope', 'production-gone'])).rejects.toMatchObject({
      failureType: 'ConfigurationError',
      message: "ECS service(s) production-nope, production-gone not found (or not ACTIVE) in cluster production: create them, or fix the service names in the pipeline's props",
    });
  });

  test('describeServices: exactly 10 names are one call; an INACTIVE service counts as missing; a failed call names the services and cluster', async () => {
    const model = setupShop(aws, { apps: Array.from({ length: 9 }, (_, i) => `app${i}`) });
    const names = [...model.services, model.scheduler].map((s) => s.service);
    await describeServices(client(ECSClient), 'production', names);
    expect(aws.calls('ECS.DescribeServices').map((b) => b.services.length)).toEqual([10]);
    const describe = aws.ecs.api.DescribeServices;
    aws.ecs.api.DescribeServices = (body) => {
      const out = describe(body) as { services: { serviceName?: string; status?: string }[] };
      return { ...out, services: out.services.map((s) => (s.serviceName === 'production-app1' ? { ...s, status: 'INACTIVE' } : s)) };
    };
    await expect(describeServices(client(ECSClient), 'production', ['production-app0', 'production-app1'])).rejects.toMatchObject({
      message: expect.stringMatching(/^ECS service\(s\) production-app1 not found \(or not ACTIVE\)/),
    });
    aws.fail('ECS.DescribeServices', 'AccessDeniedException', 'denied', 1, 403);
    await expect(describeServices(client(ECSClient), 'production', ['production-app0', 'production-app1'])).rejects.toMatchObject({
      failureType: 'PermissionError',
      message: expect.stringMatching(/^ECS DescribeServices \(production-app0, production-app1\) in cluster production failed: AccessDeniedException: denied/),
    });
  });

  test('stoppedTaskReasons: the newest stopped tasks of that deployment, at most max, from a bounded list', async () => {
    setupShop(aws);
    const ecs = client(ECSClient);
    for (let i = 0; i < 10; i++) {
      aws.ecs.nextTasks.push({ exitCode: i, runMs: 1000 });
      await ecs.send(new RunTaskCommand({ cluster: 'production', taskDefinition: td('production-zed', 1), startedBy: 'ecs-svc/42' }));
      aws.clock.advance(60_000);
    }
    aws.ecs.nextTasks.push({ exitCode: 99, runMs: 1000 });
    await ecs.send(new RunTaskCommand({ cluster: 'production', taskDefinition: td('production-zed', 1), startedBy: 'ecs-svc/other' }));
    aws.clock.advance(60_000);
    const reasons = await stoppedTaskReasons(ecs, 'production', 'ecs-svc/42', 2);
    expect(aws.calls('ECS.ListTasks')).toEqual([{ cluster: 'production', startedBy: 'ecs-svc/42', desiredStatus: 'STOPPED', maxResults: 100 }]);
    expect(aws.calls('ECS.DescribeTasks')[0].tasks).toHaveLength(6);
    expect(reasons).toHaveLength(2);
    expect(reasons.map((r) => r.match(/exit code (\d+)/)![1])).toEqual(['5', '4']);
    expect(reasons[0]).toMatch(/^task \w+: EssentialContainerExited: Essential container in task exited; container zed exit code 5; container log-router exit code 0$/);
  });

  test('stoppedTaskReasons: none without stopped tasks', async () => {
    setupShop(aws);
    expect(await stoppedTaskReasons(client(ECSClient), 'production', 'ecs-svc/none')).toEqual([]);
    expect(aws.calls('ECS.DescribeTasks')).toEqual([]);
  });

  test('loadModel: read once, then cached for a minute', async () => {
    setupShop(aws);
    clearModelCache();
    const ssm = client(SSMClient);
    const model = await loadModel(ssm, MODEL, 1000);
    expect(model.cluster).toBe('production');
    await loadModel(ssm, MODEL, 1000 + MODEL_CACHE_MS - 1);
    expect(aws.calls('SSM.GetParameter')).toHaveLength(1);
    await loadModel(ssm, MODEL, 1000 + MODEL_CACHE_MS);
    expect(aws.calls('SSM.GetParameter')).toHaveLength(2);
    aws.ssm.set('/production/pipeline/broken', 'not json');
    await expect(loadModel(ssm, '/production/pipeline/broken', 0)).rejects.toMatchObject({
      message: 'deployment model /production/pipeline/broken is not JSON: redeploy the pipeline stack',
    });
    await expect(loadModel(ssm, '/production/pipeline/nothing', 0)).rejects.toMatchObject({
      failureType: 'ConfigurationError',
      message: expect.stringMatching(/^reading the deployment model \/production\/pipeline\/nothing \(SSM\) failed: ParameterNotFound/),
    });
  });

  test('loadModel: each name cached apart; clearModelCache forgets', async () => {
    const shop = setupShop(aws);
    aws.ssm.set('/production/pipeline/other', JSON.stringify({ ...shop, cluster: 'other' }));
    clearModelCache();
    const ssm = client(SSMClient);
    expect((await loadModel(ssm, MODEL, 0)).cluster).toBe('production');
    expect((await loadModel(ssm, '/production/pipeline/other', 0)).cluster).toBe('other');
    expect((await loadModel(ssm, MODEL, 1)).cluster).toBe('production');
    expect(aws.calls('SSM.GetParameter').map((b) => b.Name)).toEqual([MODEL, '/production/pipeline/other']);
    clearModelCache();
    await loadModel(ssm, MODEL, 2);
    expect(aws.calls('SSM.GetParameter')).toHaveLength(3);
  });

  describe('logTail', () => {
    const container = { name: 'zed', logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': '/ecs/zed', 'awslogs-stream-prefix': 'spryker' } } };
    const task = 'arn:aws:ecs:eu-central-1:1:task/production/abc';

    test('the last lines, newest last, trailing space cut; the requested number at most', async () => {
      aws.logs.put('/ecs/zed', 'spryker/zed/abc', ['one  ', 'two', 'three\n']);
      expect(await logTail(client(CloudWatchLogsClient), container, task)).toBe('last 3 log lines of /ecs/zed spryker/zed/abc:\none\ntwo\nthree');
      expect(await logTail(client(CloudWatchLogsClient), container, task, 2)).toBe('last 2 log lines of /ecs/zed spryker/zed/abc:\ntwo\nthree');
      expect(aws.calls('Logs.GetLogEvents')[0]).toEqual({ logGroupName: '/ecs/zed', logStreamName: 'spryker/zed/abc', limit: 30, startFromHead: false });
    });

    test('an empty stream, a stream never created, an unreadable one', async () => {
      aws.logs.put('/ecs/zed', 'spryker/zed/abc', []);
      expect(await logTail(client(CloudWatchLogsClient), container, task)).toBe('(log stream /ecs/zed spryker/zed/abc is empty)');
      expect(await logTail(client(CloudWatchLogsClient), container, 'arn:aws:ecs:r:1:task/production/other')).toBe(
        '(no log stream /ecs/zed spryker/zed/other: the container never started)',
      );
      aws.fail('Logs.GetLogEvents', 'AccessDeniedException', 'not allowed', 1, 403);
      expect(await logTail(client(CloudWatchLogsClient), container, task)).toBe('(could not read log stream /ecs/zed spryker/zed/abc: AccessDeniedException: not allowed)');
    });

    test('a container that does not log through awslogs with a prefix has no tail, and no call is made', async () => {
      const noPrefix = { ...container, logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': '/ecs/zed' } } };
      const noGroup = { ...container, logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-stream-prefix': 'spryker' } } };
      const firelens = { ...container, logConfiguration: { logDriver: 'awsfirelens' as const, options: container.logConfiguration.options } };
      for (const c of [noPrefix, noGroup, firelens, { name: 'zed' }]) {
        expect(await logTail(client(CloudWatchLogsClient), c, task)).toBe('(no log lines: container zed does not log through awslogs with a stream prefix)');
      }
      expect(aws.calls('Logs.GetLogEvents')).toEqual([]);
    });
  });
});
