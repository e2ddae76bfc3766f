/**
 * `rehearse --cutover together` (docs/rehearse.md, docs/cutover.md): Deploy_Spryker_services
 * cuts every application service over together with ECS's native blue/green deployments
 * (sim/ecs-bluegreen.ts). The simulated ECS invokes the real bundled cutover hook
 * (dist/handlers/cutover-hook) at POST_TEST_TRAFFIC_SHIFT and POST_PRODUCTION_TRAFFIC_SHIFT; its
 * checks request each service's page on a loopback test listener. Each service's green tasks take
 * the rehearsal's seeded rollout time to start, so services arrive at the barrier spread over
 * simulated time, as they would roll out.
 *
 * The blue/green deployments move only through their own event loop (each hook called at its own
 * moment), so in this mode every simulated wait goes through it: the rehearsal's timers (the
 * handlers' waits and CodePipeline's between continuations) run on a clock whose advance is that loop.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CUTOVER_HOOK_STAGES, CUTOVER_VERSION, type CutoverConfig } from '../lib/contracts/cutover';
import type { DeploymentModel } from '../lib/contracts/model';
import { DeploymentReport, rollingWindowOf, type CutoverSection, type LastRollingRun } from '../lib/contracts/report';
import type { TimelineSpan } from '../lib/contracts/timeline';
import { cutoverSection } from '../lambda/cutover/summary';
import type { StepRecords } from '../lambda/runtime/job';
import type { FakeAws } from './aws';
import { loadHandler, type HandlerLog, type SimClock } from './bundles';
import { LoopbackServer } from './loopback';
import { ENV, PATHS } from './shop';

export const CUTOVER_MODES = ['rolling', 'together'] as const;
export type CutoverMode = (typeof CUTOVER_MODES)[number];

/** cutoverHookName('production') and cutoverConfigPath('production') (lib/cutover.ts). */
const HOOK_NAME = `${ENV}-cutover-hook`;
const HOOK_ARN = `arn:aws:lambda:eu-central-1:123456789012:function:${HOOK_NAME}`;
const CONFIG_PATH = `/${ENV}/pipeline/cutover`;
/** CUTOVER_BARRIER_TIMEOUT (lib/cutover.ts). */
const BARRIER_TIMEOUT_MS = 30 * 60_000;
/** The services' `bakeTimeInMinutes` in the simulated shop. */
export const REHEARSAL_BAKE_MINUTES = 2;

/** How simulated time moves during a rehearsal. */
export interface RehearsalTime {
  /** The clock of the rehearsal's timers (sim/timers.ts): the handlers' waits and CodePipeline's between continuations. */
  readonly clock: SimClock;
  stop(): Promise<void>;
}

/** The shop's test listener: `/<ECS service>/` answers 200, a warm page. */
class TestListener extends LoopbackServer {
  protected async serve(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>warm</html>');
  }
}

export interface CutoverRehearsalOptions {
  readonly mode?: CutoverMode;
  readonly handlersDir: string;
  readonly log: HandlerLog;
  /** How long each application service's new tasks take to start (the rehearsal's rollout times), by ECS service. */
  readonly startMs: (service: string) => number;
  /** Application names whose green tasks fail to start (`--fail-service`). */
  readonly failServices: readonly string[];
}

/**
 * The rehearsal's time for `mode`: rolling, the plain clock; together, the shop set up for the
 * cutover (model, hook configuration, blue/green services, the hook bundle) and its event loop.
 * Sets CUTOVER_CONFIG on process.env (the rehearsal restores the environment after).
 */
export async function rehearsalTime(aws: FakeAws, model: DeploymentModel, o: CutoverRehearsalOptions): Promise<RehearsalTime> {
  const mode = o.mode ?? 'rolling';
  if (!(CUTOVER_MODES as readonly string[]).includes(mode)) throw new RangeError(`rehearsal options: cutover: '${mode}' is not one of ${CUTOVER_MODES.join(', ')}`);
  if (mode === 'rolling') return { clock: aws.clock, stop: async () => undefined };

  const listener = await new TestListener().start();
  aws.ssm.set(PATHS.model, JSON.stringify({ ...model, cutover: { hook: HOOK_NAME, barrierTimeoutMs: BARRIER_TIMEOUT_MS } } satisfies DeploymentModel));
  const config: CutoverConfig = {
    v: CUTOVER_VERSION,
    model: PATHS.model,
    checks: Object.fromEntries(model.services.map((s) => [s.service, [`${listener.url}/${s.service}/`]])),
    concurrency: 4,
    timeoutMs: 10_000,
    ttfbMs: 5_000,
  };
  aws.ssm.set(CONFIG_PATH, JSON.stringify(config));
  process.env.CUTOVER_CONFIG = CONFIG_PATH;
  for (const s of model.services) {
    aws.bluegreen.enable(s.service, { hook: { arn: HOOK_ARN, stages: CUTOVER_HOOK_STAGES }, bakeMinutes: REHEARSAL_BAKE_MINUTES, scaleUpMs: o.startMs(s.service) });
  }
  for (const app of o.failServices) aws.bluegreen.nextGreen.set(`${ENV}-${app}`, 'failing');
  // The hook bundle keeps the plain clock: it is called inside the event loop, which owns the time.
  const hook = loadHandler(path.join(o.handlersDir, 'cutover-hook', 'index.js'), aws.clock, o.log) as unknown as NonNullable<FakeAws['bluegreen']['hook']>;
  aws.bluegreen.hook = hook;
  return {
    clock: {
      get now() {
        return aws.clock.now;
      },
      advance: (ms) => aws.bluegreen.advance(ms),
    },
    stop: () => listener.stop(),
  };
}

/**
 * `--last-rolling <report.json>`: a rolling rehearsal's (or a real rolling run's) report, the
 * measured comparison a together rehearsal shows as the environment's last rolling run.
 */
export function readLastRolling(file: string): LastRollingRun {
  let report: DeploymentReport;
  try {
    report = DeploymentReport.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    throw new RangeError(`rehearsal options: lastRolling: ${file} is not a deployment report (report.json): ${(e as Error).message.slice(0, 300)}`);
  }
  const window = rollingWindowOf(report);
  if (!window) throw new RangeError(`rehearsal options: lastRolling: ${file} is not the report of a rolling deployment whose services all completed (no closed mixedVersions)`);
  return window;
}

/** The report's cutover section as the report step builds it; a together rehearsal's comparison with `lastRolling`, when given. */
export async function rehearsalCutover(records: StepRecords, executionId: string, states: readonly TimelineSpan[], lastRolling?: LastRollingRun): Promise<CutoverSection | undefined> {
  const section = await cutoverSection(records, executionId, states);
  return section?.mode === 'together' && lastRolling ? { ...section, lastRolling } : section;
}
