/**
 * A shop set up for `cutover: 'together'` on the stateful fake (test/lambda/cutover.test.ts and the
 * report's cutover section, report.test.ts): blue/green application services with the cutover
 * hook, a prepared release, the cutover configuration in SSM, and a loopback test listener whose
 * pages (`/<service>/`) answer 200 unless `pageStatus` says otherwise.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CUTOVER_HOOK_STAGES, type CutoverConfig } from '../../lib/contracts/cutover';
import { defineHook } from '../../lambda/cutover-hook';
import { step } from '../../lambda/deploy';
import { call, defineStep } from '../../lambda/runtime/job';
import type { ReleaseManifest } from '../../lambda/runtime/release';
import { StepTable } from '../../lambda/runtime/records';
import { STEP_TABLE, type FakeAws } from '../fakes/aws';
import type { JobOptions } from '../fakes/job';
import type { BlueGreenSpec } from '../../sim/ecs-bluegreen';
import { ARTIFACTS, MODEL, putArtifact, setupShop, td, V2 } from '../fakes/shop';

export const RELEASE = { name: 'Release', bucket: ARTIFACTS, key: 'run/Release/release.zip' };
export const CONFIG = '/production/pipeline/cutover';
export const HOOK_ARN = 'arn:aws:lambda:eu-central-1:123456789012:function:production-cutover-hook';
export const JOB = {
  id: 'aaaaaaaa-0000-4000-8000-000000000017',
  params: { model: MODEL, services: 'application' },
  inputs: [RELEASE],
  stage: 'Deploy_Spryker_services',
  action: 'Deploy_Spryker_services',
} satisfies JobOptions;

export const spreadOf = (times: number[]) => Math.max(...times) - Math.min(...times);

/** Call in a test file's top level; `fake()` is the test's current FakeAws. */
export function cutoverFixture(fake: () => FakeAws) {
  let listener: Server;
  let base = '';
  const pageStatus = new Map<string, number>();
  beforeAll(async () => {
    listener = createServer((req, res) => void res.writeHead(pageStatus.get(req.url!.split('/')[1]) ?? 200).end('<html>warm</html>'));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => listener.close(resolve)));
  afterEach(() => pageStatus.clear());

  const hook = () => {
    const aws = fake();
    return defineHook({ clientConfig: aws.deps().clientConfig, now: () => aws.clock.now, table: STEP_TABLE, config: CONFIG });
  };

  /**
   * A shop whose application services are blue/green with the cutover hook, on V1, with a
   * prepared release (revision 2 of each) and the cutover configuration in SSM.
   */
  function shop(apps: string[], spec: (service: string, i: number) => Partial<BlueGreenSpec> = () => ({})) {
    const aws = fake();
    const model = setupShop(aws, { apps });
    for (const s of [...model.services, model.scheduler]) {
      const def = aws.ecs.definitions.get(td(s.service, 1))!;
      aws.ecs.definitions.set(td(s.service, 2), { ...def, taskDefinitionArn: td(s.service, 2), revision: 2 });
    }
    aws.ssm.set(MODEL, JSON.stringify({ ...model, cutover: { hook: 'production-cutover-hook', barrierTimeoutMs: 30 * 60_000 } }));
    const config: CutoverConfig = {
      v: 1,
      model: MODEL,
      checks: Object.fromEntries(model.services.map((s) => [s.service, [`${base}/${s.service}/`]])),
      concurrency: 4,
      timeoutMs: 2000,
      ttfbMs: 1500,
    };
    aws.ssm.set(CONFIG, JSON.stringify(config));
    const release: ReleaseManifest = {
      v: 1,
      env: 'production',
      version: V2,
      preparedAt: '2025-03-01T10:00:00.000Z',
      services: [...model.services, model.scheduler].map((s) => ({ app: s.app, service: s.service, previousTaskDefinition: td(s.service, 1), taskDefinition: td(s.service, 2) })),
    };
    putArtifact(aws, RELEASE, { 'release.json': JSON.stringify(release) });
    model.services.forEach((s, i) => aws.bluegreen.enable(s.service, { hook: { arn: HOOK_ARN, stages: CUTOVER_HOOK_STAGES }, ...spec(s.service, i) }));
    aws.bluegreen.hook = hook();
    return model.services.map((s) => s.service);
  }

  /** Deploy_Spryker_services as CodePipeline runs it, the handler's waits moving the blue/green deployments. */
  const deploy = (job: Partial<JobOptions> = {}) => {
    const aws = fake();
    // CodePipeline's 30 s between continuations pass through the blue/green simulation, as the handler's own waits do.
    const advance = (ms: number) => aws.bluegreen.advance(ms);
    return aws.runJob(defineStep(step, { ...aws.deps(), sleep: advance }), { ...JOB, ...job }, { lambdaMs: 14 * 60_000, wait: advance });
  };
  const records = () => new StepTable(new DynamoDBClient(fake().deps().clientConfig!), STEP_TABLE, () => fake().clock.now, call).records();
  const deploymentsOf = (services: string[]) => services.map((s) => fake().bluegreen.latest(s)!);
  /** The first POST_TEST_TRAFFIC_SHIFT invocation of each service: when it arrived at the barrier. */
  const arrivals = (services: string[]) => services.map((s) => fake().bluegreen.invocations.find((i) => i.service === s && i.stage === 'POST_TEST_TRAFFIC_SHIFT')!.at);
  return { pageStatus, hook, shop, deploy, records, deploymentsOf, arrivals };
}
