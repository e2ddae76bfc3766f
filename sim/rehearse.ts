/**
 * A rehearsal of one deployment (`cdk-spryker-pipeline rehearse`): the pipeline's stages in SCCOS
 * order, each step run by the handler bundle the package ships, against the simulated AWS
 * (sim/aws.ts) and RabbitMQ (sim/rabbitmq.ts) with a simulated shop. CodePipeline is
 * simulated the way it drives a Lambda invoke action: it issues a job (GetJobDetails knows it),
 * invokes the function, and invokes again with a new job while the answer carries a continuation
 * token. Time is simulated: a rehearsal of an hour's deployment takes seconds.
 *
 * The report is built as a real run's: stages from the pipeline's action executions, states from
 * the marks the handlers wrote into the step table (readTimeline), windows from the states.
 *
 * The actions of one stage run side by side, as CodePipeline runs actions of one runOrder: the
 * sync catch-up's Measure_sync_catch_up beside Deploy_Spryker_services (or, with `syncAwait`, its
 * own Sync_catch_up stage before it), on one simulated clock (sim/timers.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as path from 'node:path';
import type {
  DeployParams,
  PostDeploymentConfigurationParams,
  PreDeploymentConfigurationParams,
  PrepareVersionParams,
  RunHookParams,
  UpdateDeployedVersionParams,
} from '../lib/contracts/params';
import { call } from '../lambda/runtime/job';
import { StepTable } from '../lambda/runtime/records';
import { readTimeline } from '../lambda/runtime/timeline';
import { writeZip } from '../lambda/runtime/artifacts';
import { SCHEDULER_AFTER } from '../lib/config/hook-commands';
import { DEFAULT_HOOK_TIMEOUT_MINUTES } from '../lib/config/types';
import type { HookName } from '../lib/contracts';
import type { RabbitMqParams } from '../lib/contracts/rabbitmq';
import type { SyncCatchUpParams } from '../lib/contracts/sync-catch-up';
import { DEFAULT_IGNORED_QUEUES, DEFAULT_SYNC_QUEUES } from '../lib/contracts/sync-queues';
import { SCCOS_STAGES } from '../lib/contracts/stages';
import { computeWindows, REPORT_VERSION, type DeploymentReport, type LastRollingRun, type ReportStage } from '../lib/contracts/report';
import { FakeAws, FUNCTION_ARN, PIPELINES, REGION, STEP_TABLE } from './aws';
import { loadHandler, type HandlerLog, type SimHandler } from './bundles';
import { rehearsalCutover, rehearsalTime, type CutoverMode, type RehearsalTime } from './rehearse-cutover';
import { FakeRabbitMq } from './rabbitmq';
import { BROKER_ADMIN, KEPT_TAG_PREFIX, PATHS, RELEASE_TABLE, repositoryOf, runSchedulerSetup, setupRehearsalShop, V2 } from './shop';
import { SimTimers } from './timers';

/** The pipeline's stages, in SCCOS order. */
export const REHEARSAL_STAGES = SCCOS_STAGES;

/**
 * The sync catch-up's UserParameters as SprykerPipeline renders them from the syncCatchUp defaults
 * (SYNC_CATCH_UP_DEFAULTS of lib/stages/sync-catch-up.ts, which loads aws-cdk-lib: test/sim keeps
 * the two equal); the broker's config and endpoint, and the mode, are the rehearsal's.
 */
export const SYNC_CATCH_UP_PARAMS: Omit<SyncCatchUpParams, 'config' | 'endpoint' | 'allowInsecureEndpoint' | 'mode'> = {
  queues: [...DEFAULT_SYNC_QUEUES],
  ignore: [...DEFAULT_IGNORED_QUEUES],
  settleSeconds: 30,
  timeoutMinutes: 30,
  onTimeout: 'fail',
};

/** A stage and its actions, side by side. */
export interface RehearsalStage {
  readonly name: string;
  readonly actions: readonly string[];
}

/**
 * The stages and their actions as SprykerPipeline places the sync catch-up (addSyncCatchUp in
 * lib/spryker-pipeline.ts): measured by Measure_sync_catch_up beside the rollout in
 * Deploy_Spryker_services, or, with `syncAwait` (`syncCatchUp.await`), awaited in a Sync_catch_up
 * stage right before it. Every other stage has the one action named after it.
 */
export function rehearsalStages(options: { readonly syncAwait?: boolean } = {}): RehearsalStage[] {
  return SCCOS_STAGES.flatMap((name): RehearsalStage[] => {
    if (name !== 'Deploy_Spryker_services') return [{ name, actions: [name] }];
    if (options.syncAwait) return [{ name: 'Sync_catch_up', actions: ['Sync_catch_up'] }, { name, actions: [name] }];
    return [{ name, actions: [name, 'Measure_sync_catch_up'] }];
  });
}

export interface RehearsalOptions {
  /** Folder of the handler bundles (`<step>/index.js`). */
  readonly handlersDir: string;
  /** Application services (zed, yves, glue, … then app-N). @default 4 */
  readonly services?: number;
  /** Build_and_Prepare (CodeBuild) takes this long. @default 60 */
  readonly buildSeconds?: number;
  /** The pre-deploy hook's task runs this long (then scheduler:suspend). @default 60 */
  readonly preDeploySeconds?: number;
  /** Run_install's task runs this long (migrations, then scheduler:setup). @default 180 */
  readonly installSeconds?: number;
  /** A post-deploy hook that runs this long; 0: none (SCCOS's default). @default 0 */
  readonly postDeploySeconds?: number;
  /** A service's rollout takes this long, ±15 % per service (the seed decides). @default 120 */
  readonly rolloutSeconds?: number;
  /** The publish and sync queues filled by scheduler:setup drain in this long. @default 90 */
  readonly syncSeconds?: number;
  /** Await the sync catch-up in its own stage before Deploy_Spryker_services (`syncCatchUp.await`), instead of measuring it beside the rollout. @default false */
  readonly syncAwait?: boolean;
  /** Each request to the RabbitMQ management API takes this long (simulated). @default DEFAULT_BROKER_LATENCY_MS */
  readonly brokerLatencyMs?: number;
  /** Services (application names, e.g. `yves`) whose rollout fails: the circuit breaker rolls them back. @default none */
  readonly failServices?: readonly string[];
  /** Maintenance mode on during Run_install (`maintenance.duringInstall: true`). @default false */
  readonly maintenance?: boolean;
  /** How Deploy_Spryker_services moves the application services (sim/rehearse-cutover.ts). @default 'rolling' */
  readonly cutover?: CutoverMode;
  /** The rolling run a together rehearsal compares with (`--last-rolling <report.json>`). @default none */
  readonly lastRolling?: LastRollingRun;
  /** Seed of the per-service rollout times. @default 1 */
  readonly seed?: number;
  /** Where the handlers' log lines go. @default kept, not printed */
  readonly log?: HandlerLog;
}

export interface RehearsalResult {
  readonly report: DeploymentReport;
  /** The failed stage's failure message, as the console shows it. */
  readonly failure?: { readonly stage: string; readonly message: string };
  /** The simulated services' rollout times (ms), by ECS service. */
  readonly rolloutMs: Record<string, number>;
  /** How long the rehearsal took on the wall clock. */
  readonly wallMs: number;
  /** Every request the simulated broker answered, in order: `PUT /api/vhosts/eu-docker`. */
  readonly brokerRequests: readonly string[];
}

/** CodePipeline invokes the next job of an action execution this long after a continuation (the fake's runJob does the same). */
const CONTINUATION_DELAY_MS = 30_000;
/** POLLING_TIMEOUT of lib/step-handler.ts: the Lambda timeout of the steps that wait. */
const LAMBDA_TIMEOUT_MS = 14 * 60_000;
/** CodePipeline's 24 hours for an action; a rehearsal that gets there is a bug, not a result. */
const ACTION_LIMIT_MS = 24 * 3600_000;
const ARTIFACTS = 'codepipeline-artifacts';
/**
 * A management API request of a real RabbitMQ 3.10 on loopback (docs/rehearse.md): creating a
 * vhost about 25 ms, a user or a permission about 3 ms, a queue listing about 2 ms; the mean of the
 * writes the rehearsal's plan makes (2 vhosts, a user, 2 permissions) is about 11 ms, and a broker
 * across the network adds its round trip.
 */
export const DEFAULT_BROKER_LATENCY_MS = 12;

/** mulberry32: a small seeded generator, so that a seed always gives the same rehearsal. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID-shaped id from the generator (CodePipeline's job and execution ids are UUIDs). */
const uuid = (rand: () => number) =>
  'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx'.replace(/x/g, () => Math.floor(rand() * 16).toString(16));

interface Artifact {
  readonly name: string;
  readonly bucket: string;
  readonly key: string;
}

interface Action {
  readonly handler: string;
  /** The action's name. @default the stage's */
  readonly name?: string;
  readonly params: unknown;
  readonly inputs?: readonly Artifact[];
  readonly outputs?: readonly Artifact[];
}

/** The environment the bundled handlers read, as the stack sets it (and AWS_ENDPOINT_URL: the simulator). */
function handlerEnvironment(aws: FakeAws): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: aws.url,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'ASIAREHEARSAL',
    AWS_SECRET_ACCESS_KEY: 'rehearsal',
    AWS_SESSION_TOKEN: 'rehearsal',
    // No profile or IMDS lookup: every credential is the one above.
    AWS_EC2_METADATA_DISABLED: 'true',
    STEP_TABLE,
    STEP_PIPELINES: PIPELINES.join(','),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

function validate(o: RehearsalOptions, apps: string[]): void {
  const problems: string[] = [];
  const count = o.services ?? 4;
  if (!Number.isInteger(count) || count < 1 || count > 200) problems.push(`services: ${count} is not a whole number from 1 to 200`);
  const seconds = { buildSeconds: o.buildSeconds, preDeploySeconds: o.preDeploySeconds, installSeconds: o.installSeconds, postDeploySeconds: o.postDeploySeconds, rolloutSeconds: o.rolloutSeconds, syncSeconds: o.syncSeconds };
  for (const [name, value] of Object.entries(seconds)) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0 || value > 6 * 3600)) problems.push(`${name}: ${value} is not a number of seconds from 0 to 21600`);
  }
  if (o.rolloutSeconds !== undefined && o.rolloutSeconds < 1) problems.push('rolloutSeconds: a rollout takes at least 1 second');
  if (o.brokerLatencyMs !== undefined && !(Number.isInteger(o.brokerLatencyMs) && o.brokerLatencyMs >= 0 && o.brokerLatencyMs <= 10_000)) problems.push(`brokerLatencyMs: ${o.brokerLatencyMs} is not a whole number of milliseconds from 0 to 10000`);
  for (const s of o.failServices ?? []) if (!apps.includes(s)) problems.push(`failServices: '${s}' is not a service of the simulated shop (${apps.join(', ')})`);
  if (problems.length) throw new RangeError(`rehearsal options: ${problems.join('; ')}`);
}

/**
 * Runs one rehearsal. Sets the handlers' environment (AWS_ENDPOINT_URL and the stack's variables)
 * on process.env for its duration and restores it after.
 */
export async function rehearse(options: RehearsalOptions): Promise<RehearsalResult> {
  const wallStart = Date.now();
  const services = options.services ?? 4;
  const aws = await new FakeAws().start();
  const rabbit = await new FakeRabbitMq(aws.clock, BROKER_ADMIN, { latencyMs: options.brokerLatencyMs ?? DEFAULT_BROKER_LATENCY_MS }).start();
  const saved = { ...process.env };
  let time: RehearsalTime | undefined;
  let timers: SimTimers | undefined;
  Object.assign(process.env, handlerEnvironment(aws));
  try {
    const shop = setupRehearsalShop(aws, { services, brokerEndpoint: rabbit.url, postDeployHook: options.postDeploySeconds ? 'vendor/bin/console post-deploy:warm-up' : undefined });
    validate(options, shop.model.services.map((s) => s.app));
    const rand = random(options.seed ?? 1);
    const rolloutMs = Object.fromEntries([...shop.model.services, shop.model.scheduler].map((s) => [s.service, Math.round((options.rolloutSeconds ?? 120) * 1000 * (0.85 + 0.3 * rand()))]));
    aws.ecs.rolloutMs = (service) => rolloutMs[service] ?? (options.rolloutSeconds ?? 120) * 1000;
    for (const app of options.failServices ?? []) aws.ecs.nextRollouts.set(`production-${app}`, 'fail');
    time = await rehearsalTime(aws, shop.model, { mode: options.cutover, handlersDir: options.handlersDir, log: options.log ?? { lines: [] }, startMs: aws.ecs.rolloutMs, failServices: options.failServices ?? [] });
    // One queue of timers on the mode's clock (together: advancing it runs the blue/green deployments).
    timers = new SimTimers(time.clock);
    timers.watch(() => aws.activity);
    timers.watch(() => rabbit.activity);
    return await new Rehearsal(aws, rabbit, timers, options, shop, rand, wallStart, rolloutMs).run();
  } finally {
    timers?.stop();
    await time?.stop();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await rabbit.stop();
    await aws.stop();
  }
}

class Rehearsal {
  private readonly executionId: string;
  private readonly stages: ReportStage[] = [];
  private readonly handlers = new Map<string, SimHandler>();
  private readonly log: HandlerLog;
  private readonly images: Artifact;
  private readonly release: Artifact;

  constructor(
    private readonly aws: FakeAws,
    private readonly rabbit: FakeRabbitMq,
    private readonly timers: SimTimers,
    private readonly options: RehearsalOptions,
    private readonly shop: ReturnType<typeof setupRehearsalShop>,
    private readonly rand: () => number,
    private readonly wallStart: number,
    private readonly rolloutMs: Record<string, number>,
  ) {
    this.executionId = uuid(rand);
    this.log = options.log ?? { lines: [] };
    this.images = { name: 'Images', bucket: ARTIFACTS, key: `production-deploy/${this.executionId.slice(0, 8)}/Images/images.zip` };
    this.release = { name: 'Release', bucket: ARTIFACTS, key: `production-deploy/${this.executionId.slice(0, 8)}/Release/release.zip` };
  }

  private handler(name: string): SimHandler {
    let h = this.handlers.get(name);
    if (!h) {
      h = loadHandler(path.join(this.options.handlersDir, name, 'index.js'), this.timers.clock, this.log, this.timers);
      this.handlers.set(name, h);
    }
    return h;
  }

  private hook(hook: HookName, taskDefinition: RunHookParams['taskDefinition'], maintenance = false): Action {
    const params: RunHookParams = {
      model: PATHS.model,
      hook,
      taskDefinition,
      then: SCHEDULER_AFTER[hook],
      timeoutMinutes: DEFAULT_HOOK_TIMEOUT_MINUTES[hook],
      ...(maintenance ? { maintenance: PATHS.maintenance } : {}),
    };
    return { handler: 'run-hook', params, inputs: taskDefinition === 'release' ? [this.release] : [] };
  }

  /** What each stage does: a handler's action, or what the simulator does for CodePipeline's own actions. */
  private plan(): Record<(typeof REHEARSAL_STAGES)[number], Action | (() => void)> {
    const o = this.options;
    const clock = this.aws.clock;
    const seconds = (s: number | undefined, fallback: number) => (s ?? fallback) * 1000;
    const deploy = (services: DeployParams['services']): Action => ({ handler: 'deploy', params: { model: PATHS.model, services } satisfies DeployParams, inputs: [this.release] });
    return {
      Source: () => clock.advance(1000),
      Please_approve: {
        handler: 'prepare-version',
        params: { sourceVersion: V2, desiredVersionParameter: PATHS.desiredVersion, lastDeployedVersionParameter: PATHS.lastDeployedVersion } satisfies PrepareVersionParams,
      },
      // CodeBuild: the images of V2 pushed to ECR, images.json the artifact (scripts/build-images.sh).
      Build_and_Prepare: () => {
        clock.advance(seconds(o.buildSeconds, 60));
        const images = Object.fromEntries(this.shop.imageKeys.map((key) => [key, this.aws.ecr.push(repositoryOf(key), V2)]));
        this.aws.objects.set(`/${this.images.bucket}/${this.images.key}`, writeZip({ 'images.json': JSON.stringify({ version: V2, images }) }));
      },
      Configure_RabbitMQ_Vhosts_and_Permissions: {
        handler: 'rabbitmq',
        params: { config: PATHS.broker, endpoint: this.rabbit.url, allowInsecureEndpoint: true } satisfies RabbitMqParams,
      },
      'Run_pre-deploy_hook': this.hook('beforeDeploy', 'live'),
      Pre_Deployment_Configuration: { handler: 'pre-deployment-configuration', params: { model: PATHS.model } satisfies PreDeploymentConfigurationParams, inputs: [this.images], outputs: [this.release] },
      Deploy_Scheduler: deploy('scheduler'),
      Run_install: this.hook('install', 'release', o.maintenance),
      Deploy_Spryker_services: deploy('application'),
      UpdateDeployedVersion: {
        handler: 'update-deployed-version',
        params: {
          parameter: PATHS.lastDeployedVersion,
          releaseTable: RELEASE_TABLE,
          keepReleases: 100,
          keptTagPrefix: KEPT_TAG_PREFIX,
          releaseArtifact: this.release.name,
          imagesArtifact: this.images.name,
        } satisfies UpdateDeployedVersionParams,
        inputs: [this.release, this.images],
      },
      Post_Deployment_Configuration: { handler: 'post-deployment-configuration', params: { model: PATHS.model } satisfies PostDeploymentConfigurationParams, inputs: [this.release] },
      'Run_post-deploy_hook': this.hook('afterDeploy', 'release'),
    };
  }

  /** The task scripts of the hook tasks, in the order the stages start them (the fake ECS takes the next one per RunTask). */
  private scriptTasks(): void {
    const o = this.options;
    const task = (seconds: number, what: string) => ({ exitCode: 0, runMs: seconds * 1000, logs: [`${what}: done in ${seconds} s (simulated)`] });
    this.aws.ecs.nextTasks.push(task(o.preDeploySeconds ?? 60, 'pre-deploy hook'), task(o.installSeconds ?? 180, 'install'));
    if (o.postDeploySeconds) this.aws.ecs.nextTasks.push(task(o.postDeploySeconds, 'post-deploy hook'));
  }

  /** The sync catch-up's action (lib/stages/sync-catch-up.ts syncCatchUpAction). */
  private syncCatchUp(mode: SyncCatchUpParams['mode']): Action {
    return {
      handler: 'sync-catch-up',
      name: mode === 'await' ? 'Sync_catch_up' : 'Measure_sync_catch_up',
      params: { config: PATHS.broker, endpoint: this.rabbit.url, allowInsecureEndpoint: true, ...SYNC_CATCH_UP_PARAMS, mode } satisfies SyncCatchUpParams,
    };
  }

  async run(): Promise<RehearsalResult> {
    const clock = this.aws.clock;
    const startMs = clock.now;
    const plan = this.plan();
    this.scriptTasks();
    let failure: RehearsalResult['failure'];
    for (const { name, actions } of rehearsalStages(this.options)) {
      const steps = actions.map((action) => (action === 'Sync_catch_up' || action === 'Measure_sync_catch_up' ? this.syncCatchUp(action === 'Sync_catch_up' ? 'await' : 'measure') : plan[name as keyof typeof plan]));
      const stageStart = clock.now;
      // Side by side, as CodePipeline runs the actions of one runOrder: the stage ends when the last one ended, failed when one failed.
      const outcomes = await Promise.all(steps.map((step) => (typeof step === 'function' ? (step(), undefined) : this.runAction(name, step))));
      const outcome = outcomes.find((o) => o !== undefined);
      // A stage takes at least a second in CodePipeline's own records.
      if (clock.now === stageStart) clock.advance(1000);
      this.stages.push({ name, startMs: stageStart, endMs: clock.now, outcome: outcome ? 'Failed' : 'Succeeded' });
      if (name === 'Run_install' && !outcome) runSchedulerSetup(this.aws, this.rabbit, (this.options.syncSeconds ?? 90) * 1000);
      if (outcome) {
        failure = { stage: name, message: outcome };
        break;
      }
    }
    const endMs = clock.now;
    const records = new StepTable(new DynamoDBClient({}), STEP_TABLE, () => clock.now, call).records();
    const states = await readTimeline(records, this.executionId);
    const cutover = await rehearsalCutover(records, this.executionId, states, this.options.lastRolling);
    const report: DeploymentReport = {
      v: REPORT_VERSION,
      pipeline: 'production-deploy',
      executionId: this.executionId,
      version: V2,
      outcome: failure ? 'Failed' : 'Succeeded',
      startMs,
      endMs,
      stages: this.stages,
      states,
      windows: computeWindows(states, endMs),
      ...(cutover ? { cutover } : {}),
    };
    return { report, failure, rolloutMs: this.rolloutMs, wallMs: Date.now() - this.wallStart, brokerRequests: [...this.rabbit.requests] };
  }

  /**
   * One action execution as CodePipeline runs it: a job per invocation, continuations as new jobs
   * of the same action execution. Returns the failure message, or undefined on success.
   */
  private async runAction(stage: string, action: Action): Promise<string | undefined> {
    const handler = this.handler(action.handler);
    const actionExecutionId = uuid(this.rand);
    const started = this.aws.clock.now;
    let token: string | undefined;
    for (;;) {
      const id = uuid(this.rand);
      const event = this.aws.event({
        id,
        params: action.params,
        inputs: [...(action.inputs ?? [])],
        outputs: [...(action.outputs ?? [])],
        stage,
        action: action.name ?? stage,
        pipelineExecutionId: this.executionId,
        actionExecutionId,
        continuationToken: token,
      });
      await this.timers.run(() => handler(event, this.context()));
      const report = this.aws.codepipeline.reports.find((r) => r.jobId === id);
      if (!report) return `the ${action.handler} handler reported nothing for job ${id} (CodePipeline would fail the action after 20 minutes): ${this.lastLogLines(action.handler)}`;
      if (report.kind === 'failure') return String(report.body.failureDetails?.message ?? 'failed');
      token = report.body.continuationToken;
      if (!token) return undefined;
      if (this.aws.clock.now - started > ACTION_LIMIT_MS) return `${stage} did not finish within CodePipeline's 24 hours`;
      await this.timers.sleep(CONTINUATION_DELAY_MS);
    }
  }

  private lastLogLines(handler: string): string {
    return this.log.lines.filter((l) => l.handler === handler).slice(-3).map((l) => l.text).join(' | ');
  }

  /** The Lambda context: the function's timeout runs down with the simulated clock. */
  private context() {
    const deadline = this.aws.clock.now + LAMBDA_TIMEOUT_MS;
    return { getRemainingTimeInMillis: () => deadline - this.aws.clock.now, functionName: 'step', invokedFunctionArn: FUNCTION_ARN };
  }
}

