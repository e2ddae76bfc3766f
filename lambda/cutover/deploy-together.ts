/**
 * Deploy_Spryker_services with `cutover: 'together'` (issue 17; docs/cutover.md): every
 * application service deploys with ECS's native blue/green strategy, the lifecycle hook
 * (lambda/cutover-hook.ts) holds each one at POST_TEST_TRAFFIC_SHIFT until all have arrived and
 * passed, and this step tracks the deployments to completion:
 * - before anything changes, it refuses a service that is not set up for it, naming the service
 *   and what is missing;
 * - a service failing before the shift (its green tasks, its checks, the barrier's deadline):
 *   none shifts, every deployment is stopped with ROLLBACK, the failure names the service and why;
 * - a failure during the bake time (a check after the shift, an alarm or circuit breaker rolling
 *   one service back): every other service is rolled back too (StopServiceDeployment ROLLBACK:
 *   blue still runs, so it is instant);
 * - all SUCCESSFUL: the states timeline's mixedVersions is the spread of the production shifts,
 *   and dbAheadOfServices ends at the last one.
 */
import {
  DescribeServiceDeploymentsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  type Service,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { CUTOVER_HOOK_STAGES, CUTOVER_VERSION } from '../../lib/contracts/cutover';
import { describeServices } from '../runtime/ecs';
import { describeError, StepFailure, type StepContext, type StepResult } from '../runtime/job';
import { mapLimit } from '../runtime/map-limit';
import type { DeploymentModel, ModelCutover, ModelService } from '../runtime/model';
import { pollWhileTimeRemains, read, type PollState } from '../runtime/poll';
import { releaseOf, type ReleaseManifest } from '../runtime/release';
import { markTimeline } from '../runtime/timeline';
import { Barrier } from './barrier';

/** What deploy.ts starts the rollouts with (its UpdateService loop, shared). */
export type StartDeployments = () => Promise<{ readonly startedAt: number }>;

export interface TogetherState extends PollState {
  readonly startedAt: number;
  /** The barrier's id (the first job of the action). */
  readonly barrier: string;
  /** Service → its blue/green deployment ARN, once ECS lists it. */
  readonly deployments: Record<string, string>;
  /** Set once every deployment was told to roll back: the failure to report when they are back on blue. */
  readonly rollingBack?: string;
  /** When the rollback of every service was requested. */
  readonly rollingBackSince?: number;
}

/** ECS's clock and the Lambda's may differ a little. */
const CLOCK_SKEW_MS = 60_000;
/** DescribeServiceDeployments takes at most 20 ARNs. */
const DESCRIBE_MAX = 20;
const CONCURRENCY = 10;
/** After the release, the shifts, the bake time and the clean-up must be over within this (every wait has a bound). */
export const AFTER_RELEASE_LIMIT_MS = 2 * 60 * 60_000;
/** Statuses in which a deployment still moves (StopServiceDeployment accepts these). */
const MOVING = new Set(['PENDING', 'IN_PROGRESS', 'STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS']);
/** A deployment in one of these left the service on its previous revision. */
const BACK_ON_BLUE = new Set(['ROLLBACK_SUCCESSFUL', 'STOPPED']);
/** Blue still runs: rolling every service back takes a minute or two; after this, the step reports what is not back. */
const ROLLBACK_LIMIT_MS = 20 * 60_000;
const ROLLING_BACK = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED', 'STOPPED', 'STOP_REQUESTED']);

/** The function name of a Lambda ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`). */
const functionOf = (arn: string | undefined) => (arn ?? '').split(':')[6];

/** What a service lacks for the together cutover; empty when it is set up (docs/cutover.md). */
export function cutoverProblems(service: Service, cutover: ModelCutover): string[] {
  const problems: string[] = [];
  const dc = service.deploymentConfiguration;
  if (dc?.strategy !== 'BLUE_GREEN') problems.push(`deploymentConfiguration.strategy is ${dc?.strategy ?? 'ROLLING'}, not BLUE_GREEN`);
  else if (dc.bakeTimeInMinutes === undefined) problems.push('no deploymentConfiguration.bakeTimeInMinutes');
  const hook = dc?.lifecycleHooks?.find((h) => functionOf(h.hookTargetArn) === cutover.hook);
  if (!hook) problems.push(`no lifecycle hook on the cutover function ${cutover.hook} (lifecycleHooks: [pipeline.cutoverHook])`);
  else {
    const stages = CUTOVER_HOOK_STAGES.filter((s) => !hook.lifecycleStages?.includes(s));
    if (stages.length) problems.push(`the cutover hook lacks lifecycle stage(s) ${stages.join(', ')}`);
    if (!hook.roleArn) problems.push('the cutover hook has no roleArn (the role ECS assumes to invoke it)');
  }
  const lbs = service.loadBalancers ?? [];
  if (!lbs.length) problems.push('no load balancer (blue/green needs a target group behind production and test listener rules)');
  lbs.forEach((lb, i) => {
    const a = lb.advancedConfiguration;
    const missing = (
      [
        ['alternateTargetGroupArn', 'alternate target group'],
        ['productionListenerRule', 'production listener rule'],
        ['testListenerRule', 'test listener rule'],
        ['roleArn', 'role ECS uses to modify the listener rules'],
      ] as const
    ).filter(([key]) => !a?.[key]);
    if (missing.length) problems.push(`loadBalancers[${i}] (${lb.targetGroupArn ?? lb.loadBalancerName ?? 'no target group'}).advancedConfiguration lacks ${missing.map(([k, what]) => `${k} (${what})`).join(', ')}`);
  });
  return problems;
}

export async function deployTogether(
  ctx: StepContext<unknown>,
  model: DeploymentModel & { cutover: ModelCutover },
  services: ModelService[],
  release: ReleaseManifest,
  resumed: TogetherState | undefined,
  start: StartDeployments,
): Promise<StepResult<TogetherState>> {
  const ecs = ctx.client(ECSClient);
  let state = resumed;
  if (!state) {
    const live = await describeServices(ecs, model.cluster, services.map((s) => s.service));
    // Already on the release (a stage rollback after a failed cutover finds every service back on it): nothing to cut over.
    const pending = services.filter((s) => live.get(s.service)!.taskDefinition !== releaseOf(release, s.service).taskDefinition);
    if (!pending.length) return { status: 'done', summary: `${services.length} service(s) already on release ${release.version}: nothing to cut over` };
    const refused = pending.flatMap((s) => {
      const problems = cutoverProblems(live.get(s.service)!, model.cutover);
      return problems.length ? [`${s.service}: ${problems.join('; ')}`] : [];
    });
    if (refused.length) {
      throw new StepFailure(
        `cutover 'together' needs every application service set up for ECS blue/green with the cutover hook (docs/cutover.md); nothing was changed. Not set up: ${refused.join(' || ')}`,
        'ConfigurationError',
      );
    }
    const now = ctx.now();
    // The barrier opens before the first UpdateService: the first hook invocation finds it.
    await Barrier.open(ctx.records, model.env, {
      v: CUTOVER_VERSION,
      barrier: ctx.jobId,
      executionId: ctx.job.pipelineExecutionId,
      version: release.version,
      targets: Object.fromEntries(pending.map((s) => [s.service, releaseOf(release, s.service).taskDefinition])),
      openedAt: now,
      deadlineAt: now + model.cutover.barrierTimeoutMs,
    });
    try {
      state = { startedAt: (await start()).startedAt, barrier: ctx.jobId, deployments: {} };
    } catch (err) {
      // Some services may be rolling out already: the failed verdict makes their hooks answer FAILED, back to blue.
      const { message } = describeError(err);
      await Barrier.current(ctx.records, model.env).then((b) => b?.decide({ v: CUTOVER_VERSION, verdict: 'failed', at: ctx.now(), service: 'UpdateService', reason: message }));
      throw new StepFailure(`${message}. Cutover called off: the services already rolling out stop at the barrier, which answers them FAILED (back to blue)`, describeError(err).type);
    }
  }
  const current = await Barrier.current(ctx.records, model.env);
  if (current?.release.barrier !== state.barrier) {
    throw new StepFailure(`the cutover barrier of ${model.env} was replaced by another run (${current?.release.executionId ?? 'none'}): check the services' deployments in cluster ${model.cluster}`);
  }
  const tracked = services.filter((s) => current.release.targets[s.service]);
  return pollWhileTimeRemains(ctx, state, (s) => check(ctx, ecs, model, tracked, current, s));
}

/** Finds each service's blue/green deployment (created since the rollouts started); ARNs kept in the state. */
async function discover(ecs: ECSClient, model: DeploymentModel, services: ModelService[], state: TogetherState): Promise<Record<string, string>> {
  const found = { ...state.deployments };
  const missing = services.filter((s) => !found[s.service]);
  await mapLimit(missing, CONCURRENCY, async (s) => {
    const out = await read(
      `ECS ListServiceDeployments ${s.service} in cluster ${model.cluster}`,
      ecs.send(new ListServiceDeploymentsCommand({ cluster: model.cluster, service: s.service, createdAt: { after: new Date(state.startedAt - CLOCK_SKEW_MS) } })),
    );
    const newest = (out.serviceDeployments ?? []).sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
    if (newest?.serviceDeploymentArn) found[s.service] = newest.serviceDeploymentArn;
  });
  return found;
}

async function describe(ecs: ECSClient, arns: string[]): Promise<Map<string, ServiceDeployment>> {
  const byArn = new Map<string, ServiceDeployment>();
  for (let i = 0; i < arns.length; i += DESCRIBE_MAX) {
    const out = await read('ECS DescribeServiceDeployments', ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns.slice(i, i + DESCRIBE_MAX) })));
    for (const d of out.serviceDeployments ?? []) if (d.serviceDeploymentArn) byArn.set(d.serviceDeploymentArn, d);
  }
  return byArn;
}

/** Rolls back every deployment still moving; returns what could not be stopped. */
async function rollBackAll(ecs: ECSClient, deployments: Map<string, ServiceDeployment | undefined>): Promise<string[]> {
  const notStopped: string[] = [];
  await mapLimit([...deployments], CONCURRENCY, async ([service, d]) => {
    if (!d?.serviceDeploymentArn || !MOVING.has(d.status ?? '') || ROLLING_BACK.has(d.status ?? '')) return;
    try {
      await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: d.serviceDeploymentArn, stopType: 'ROLLBACK' }));
    } catch (err) {
      notStopped.push(`${service}: StopServiceDeployment ROLLBACK failed: ${describeError(err).message}`);
    }
  });
  return notStopped;
}

const reasonOf = (d: ServiceDeployment) => `deployment ${d.serviceDeploymentArn} ${d.status}${d.statusReason ? `: ${d.statusReason}` : ''}${d.lifecycleStage ? ` (at ${d.lifecycleStage})` : ''}`;

async function check(
  ctx: StepContext<unknown>,
  ecs: ECSClient,
  model: DeploymentModel & { cutover: ModelCutover },
  services: ModelService[],
  barrier: Barrier,
  state: TogetherState,
): Promise<StepResult<TogetherState>> {
  const deployments = await discover(ecs, model, services, state);
  const described = await describe(ecs, Object.values(deployments));
  const of = new Map(services.map((s) => [s.service, deployments[s.service] ? described.get(deployments[s.service]) : undefined]));
  const now = ctx.now();
  const where = `in cluster ${model.cluster}`;
  const next = { ...state, deployments };
  if (state.rollingBack) {
    const moving = [...of].filter(([, d]) => MOVING.has(d?.status ?? ''));
    const late = now - (state.rollingBackSince ?? now) > ROLLBACK_LIMIT_MS;
    if (!moving.length || late) {
      const notBack = [...of].filter(([, d]) => d && !BACK_ON_BLUE.has(d.status ?? ''));
      const outcome = [...of].map(([s, d]) => `${s} ${d?.status ?? 'no deployment'}`).join(', ');
      throw new StepFailure(
        notBack.length
          ? `${state.rollingBack}. NOT every service is back on blue${late ? ` after ${ROLLBACK_LIMIT_MS / 60_000} min` : ''}: ${outcome}: check these services' deployments and roll them back by hand (StopServiceDeployment ROLLBACK) or redeploy the previous release`
          : `${state.rollingBack}. Every service is back on its previous revision (blue): ${outcome}`,
      );
    }
    return { status: 'continue', state: next, summary: `rolling every service back to blue; still moving: ${moving.map(([s, d]) => `${s} (${d?.status})`).join(', ')}` };
  }
  let verdict = await barrier.verdict();
  const broken = [...of].find(([, d]) => d && ROLLING_BACK.has(d.status ?? ''));
  if (verdict?.verdict !== 'release') {
    if (!verdict && broken) verdict = await barrier.decide({ v: CUTOVER_VERSION, verdict: 'failed', at: now, service: broken[0], reason: reasonOf(broken[1]!) });
    verdict ??= await barrier.decideIfReady(now);
    if (verdict?.verdict === 'failed') return rollBack(ecs, of, next, `cutover failed before any service shifted production traffic ${where}: service ${verdict.service}: ${verdict.reason}`, now);
  } else {
    let bake = await barrier.bakeFailure();
    if (!bake && broken) bake = await barrier.failBake({ v: CUTOVER_VERSION, at: now, service: broken[0], reason: reasonOf(broken[1]!) });
    if (bake) return rollBack(ecs, of, next, `cutover failed after the production shift ${where}: service ${bake.service}: ${bake.reason}; every service rolls back together`, now);
  }
  const done = [...of].filter(([, d]) => d?.status === 'SUCCESSFUL');
  if (done.length === services.length) return finish(ctx, barrier, services, where);
  if (verdict?.verdict === 'release' && now - verdict.releaseAt > AFTER_RELEASE_LIMIT_MS) {
    return rollBack(ecs, of, next, `cutover timed out ${where}: ${AFTER_RELEASE_LIMIT_MS / 60_000} min after the release not every service had completed its blue/green deployment (bake time and clean-up)`, now);
  }
  const stages = [...of].map(([s, d]) => `${s} ${d ? `${d.lifecycleStage ?? d.status}` : 'not started'}`);
  return {
    status: 'continue',
    state: next,
    summary: `${verdict?.verdict === 'release' ? `released at ${new Date(verdict.releaseAt).toISOString()}` : 'held at the barrier until every service arrives'}: ${stages.join(', ')}`,
    percentComplete: (100 * done.length) / services.length,
  };
}

async function rollBack(ecs: ECSClient, of: Map<string, ServiceDeployment | undefined>, state: TogetherState, failure: string, now: number): Promise<StepResult<TogetherState>> {
  const notStopped = await rollBackAll(ecs, of);
  const message = notStopped.length ? `${failure}. Could not roll back: ${notStopped.join('; ')}` : failure;
  console.log(JSON.stringify({ cutover: 'rolling every service back', failure: message }));
  return { status: 'continue', state: { ...state, rollingBack: message, rollingBackSince: now }, summary: message };
}

/** Every service SUCCESSFUL: the shift spread goes to the states timeline (mixedVersions), and the last shift ends dbAheadOfServices. */
async function finish(ctx: StepContext<unknown>, barrier: Barrier, services: ModelService[], where: string): Promise<StepResult<TogetherState>> {
  const shifts = [...(await barrier.shifts()).values()].map((s) => s.at);
  const by = `${ctx.job.stageName}/${ctx.job.actionName}`;
  let spread = '';
  if (shifts.length) {
    const first = Math.min(...shifts);
    const last = Math.max(...shifts);
    const note = `together: ${shifts.length} services shifted within ${((last - first) / 1000).toFixed(1)} s`;
    await markTimeline(ctx.records, ctx.job.pipelineExecutionId, { state: 'mixedVersions', edge: 'start', at: first, by, note });
    await markTimeline(ctx.records, ctx.job.pipelineExecutionId, { state: 'mixedVersions', edge: 'end', at: last, by, note });
    // From the last shift every service serves V2: the database is no longer ahead of them.
    await markTimeline(ctx.records, ctx.job.pipelineExecutionId, { state: 'dbAheadOfServices', edge: 'end', at: last, by, note });
    spread = `; production traffic of all shifted within ${((last - first) / 1000).toFixed(1)} s`;
  }
  return { status: 'done', summary: `${services.length} service(s) cut over together to release ${barrier.release.version} ${where}${spread}` };
}
