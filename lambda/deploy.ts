/** Deploy_Scheduler and Deploy_Spryker_services: parallel rolling deploys tracked to completion. */
import { ECSClient, UpdateServiceCommand, type Deployment, type Service } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { readArtifactFile } from './runtime/artifacts';
import { arnId } from './runtime/arn';
import { describeServices, stoppedTaskReasons, stoppedTasks } from './runtime/ecs';
import { call, defineStep, describeError, encodeToken, StepFailure, type StepContext, type StepDefinition, type StepResult } from './runtime/job';
import { loadModel } from './runtime/load-model';
import { mapLimit } from './runtime/map-limit';
import { selectServices, type DeploymentModel, type ModelService } from './runtime/model';
import { parseParams } from './runtime/params';
import { DeployParams } from '../lib/contracts/params';
import { pollWhileTimeRemains, type PollState } from './runtime/poll';
import { assertReleaseOf, parseRelease, RELEASE_FILE, releaseOf, type ReleaseManifest } from './runtime/release';
import { markAll, type MarkInput } from './runtime/timeline';
import { deployTogether, type TogetherState } from './cutover/deploy-together';

/** A rollout not finished after this long fails the job, naming the services still rolling out. */
export const DEPLOY_TIMEOUT_MS = 60 * 60_000;
/** UpdateService calls in flight at once. */
const CONCURRENCY = 10;
/** Without a circuit breaker, this many stopped tasks per desired task fail the rollout early. */
export const STOPPED_TASKS_PER_DESIRED = 2;
/** Without a circuit breaker, stopped tasks are counted at every this-many-th check (one ListTasks per service each time). */
const STOPPED_TASKS_EVERY = 6;
/** ECS's clock and the Lambda's may differ a little: a fresh deployment may look this much older than our start. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Constant in size, whatever the number of services: "our deployment" of a service is found again
 * at each check from the release's target task definition (revision `current`: the deployment
 * created since the rollouts started), by service name, so a reordered or resized model never
 * confuses two services, and a 200-service shop fits the 2048-character token.
 */
interface DeployState extends PollState {
  /** When the rollouts started (before the first UpdateService). */
  readonly startedAt: number;
}

export const step: StepDefinition<DeployParams, DeployState | TogetherState> = {
  name: 'deploy',
  parseParams: (raw) => parseParams('deploy', raw, DeployParams),
  run: async (ctx, resumed) => {
    const model = await loadModel(ctx.client(SSMClient), ctx.params.model, ctx.now());
    const services = selectServices(model, ctx.params.services);
    const release = (ctx.params.revision ?? 'release') === 'release' ? parseRelease(await readArtifactFile(ctx, RELEASE_FILE), RELEASE_FILE) : undefined;
    // cutover 'together' (issue 17): the application services switch to the release at once (lambda/cutover/).
    if (model.cutover && ctx.params.services === 'application' && release) {
      const { cutover } = model;
      return deployTogether(ctx, { ...model, cutover }, services, release, resumed as TogetherState | undefined, () => startDeployments(ctx, model, services, release));
    }
    const state = resumed ?? (await startDeployments(ctx, model, services, release));
    let checks = 0;
    return pollWhileTimeRemains(ctx, state, (s) => checkDeployments(ctx, model, services, release, s, checks++ % STOPPED_TASKS_EVERY === 0));
  },
};

export const handler = defineStep(step);

async function startDeployments(ctx: StepContext<DeployParams>, model: DeploymentModel, services: ModelService[], release?: ReleaseManifest): Promise<DeployState> {
  const ecs = ctx.client(ECSClient);
  const live = await describeServices(ecs, model.cluster, services.map((s) => s.service));
  // Every check that can fail runs before the first UpdateService: a bad release changes nothing.
  if (release) assertReleaseOf(release, model, services.map((s) => ({ service: s.service, liveTaskDefinition: live.get(s.service)!.taskDefinition! })));
  const targets = new Map(services.map((s) => [s.service, release ? releaseOf(release, s.service).taskDefinition : live.get(s.service)!.taskDefinition!]));
  const state: DeployState = { startedAt: ctx.now() };
  encodeToken(state); // the state cannot outgrow the token later: it does not grow with the shop
  const outcomes = await mapLimit(services, CONCURRENCY, async (svc) => {
    const target = targets.get(svc.service)!;
    const primary = primaryOf(live.get(svc.service)!);
    const onTarget = primary?.taskDefinition === target;
    // A duplicate delivery (or a retried stage) finds the release already primary: track it, do not repeat.
    // Unless its rollout FAILED: a circuit breaker without rollback stops launching its tasks, so a
    // retried stage forces a new deployment of it (otherwise the retry could only fail again).
    if (release && onTarget && primary.rolloutState !== 'FAILED') return { service: svc.service, updated: false };
    try {
      await call(
        `ECS UpdateService ${svc.service} to ${arnId(target)} in cluster ${model.cluster}`,
        ecs.send(new UpdateServiceCommand({ cluster: model.cluster, service: svc.service, taskDefinition: target, forceNewDeployment: onTarget })),
      );
      return { service: svc.service, updated: true };
    } catch (err) {
      return { service: svc.service, error: err as Error };
    }
  });
  const failed = outcomes.flatMap((o) => (o.error ? [o.error] : []));
  if (failed.length) {
    const updated = outcomes.filter((o) => o.updated).map((o) => o.service);
    const first = describeError(failed[0]);
    throw new StepFailure(
      `${failed.map((e) => describeError(e).message).join('; ')}${updated.length ? `. Already rolling out (they continue): ${updated.join(', ')}` : ''}`,
      first.type,
    );
  }
  console.log(JSON.stringify({ rollouts: outcomes.map((o) => `${o.service}=${o.updated ? 'updated' : 'already on target'}`) }));
  return state;
}

/** `watch`: the deployment whose stopped tasks to count (a rollout without a circuit breaker, still waiting). */
type Verdict = ({ readonly done: true } | { readonly done: false; readonly progress: number; readonly waiting: string } | { readonly failed: string; readonly deployment?: string }) & { readonly watch?: Deployment };

async function checkDeployments(
  ctx: StepContext<DeployParams>,
  model: DeploymentModel,
  services: ModelService[],
  release: ReleaseManifest | undefined,
  state: DeployState,
  countStopped: boolean,
): Promise<StepResult<DeployState>> {
  const ecs = ctx.client(ECSClient);
  const live = await describeServices(ecs, model.cluster, services.map((s) => s.service));
  const since = release ? undefined : state.startedAt - CLOCK_SKEW_MS;
  const waiting: string[] = [];
  const failures: string[] = [];
  let progress = 0;
  for (const s of services) {
    let verdict = judge(live.get(s.service)!, release && releaseOf(release, s.service).taskDefinition, since);
    if (verdict.watch && countStopped) verdict = await stoppingTooOften(ecs, model.cluster, verdict.watch, verdict);
    if ('failed' in verdict) {
      const stopped = verdict.deployment
        ? await stoppedTaskReasons(ecs, model.cluster, verdict.deployment).catch((err) => [`(stopped tasks unreadable: ${describeError(err).message})`])
        : [];
      failures.push(`service ${s.service}: ${sentence(verdict.failed)}${stopped.length ? ` Stopped tasks: ${stopped.join(' | ')}` : ''}`);
    } else if (verdict.done) {
      progress++;
    } else {
      waiting.push(`${s.service} (${verdict.waiting})`);
      progress += verdict.progress;
    }
  }
  const where = `in cluster ${model.cluster}`;
  const still = waiting.join(', ');
  if (failures.length || !waiting.length) await markRollouts(ctx, live, services, release, since, !failures.length);
  if (failures.length) {
    throw new StepFailure(`deployment failed ${where}: ${failures.join(' || ')}${waiting.length ? `. Still rolling out: ${still}` : ''}`);
  }
  const seconds = Math.round((ctx.now() - state.startedAt) / 1000);
  if (!waiting.length) {
    return { status: 'done', summary: `${services.length} service(s) on ${release ? `release ${release.version}` : 'a fresh deployment'} after ${seconds} s: ${services.map((s) => s.service).join(', ')}` };
  }
  if (ctx.now() - state.startedAt > DEPLOY_TIMEOUT_MS) {
    throw new StepFailure(`deployment timed out after ${Math.round(seconds / 60)} min ${where}: still rolling out ${still}: check the services' events`);
  }
  return {
    status: 'continue',
    state,
    summary: `${services.length - waiting.length}/${services.length} services rolled out after ${seconds} s; waiting for ${still}`,
    percentComplete: (100 * progress) / services.length,
  };
}

/** Without a circuit breaker ECS retries failing tasks forever: fail once they have stopped twice the desired count. */
async function stoppingTooOften(ecs: ECSClient, cluster: string, deployment: Deployment, verdict: Verdict): Promise<Verdict> {
  const limit = STOPPED_TASKS_PER_DESIRED * Math.max(deployment.desiredCount ?? 0, 1);
  const stopped = await stoppedTasks(ecs, cluster, deployment.id!, limit);
  if (stopped.length < limit) return verdict;
  return {
    failed: `${stopped.length} tasks of the release deployment ${deployment.id} stopped (${deployment.runningCount ?? 0}/${deployment.desiredCount ?? 0} running, no circuit breaker to stop it): the new revision ${arnId(deployment.taskDefinition)} does not stay up`,
    deployment: deployment.id,
  };
}

/**
 * Deploy_Spryker_services puts V1 and V2 side by side on the timeline (docs/states.md), at ECS's
 * own times: from the first release deployment created until the last one completed (its
 * updatedAt), which also ends the database being ahead of the services. A failed rollout leaves
 * both open: the report counts them until the run ended.
 */
async function markRollouts(ctx: StepContext<DeployParams>, live: Map<string, Service>, services: ModelService[], release: ReleaseManifest | undefined, since: number | undefined, completed: boolean) {
  if (ctx.params.services !== 'application' || !release) return;
  const ours = services.map((s) => oursOf(live.get(s.service)!, releaseOf(release, s.service).taskDefinition, since)).filter((d): d is Deployment => !!d?.createdAt);
  if (!ours.length) return;
  const by = `${ctx.job.stageName}/${ctx.job.actionName}`;
  const marks: MarkInput[] = [{ state: 'mixedVersions', edge: 'start', at: Math.min(...ours.map((d) => d.createdAt!.getTime())), by, note: `${services.length} service(s)` }];
  if (completed) {
    const end = Math.max(...ours.map((d) => d.updatedAt?.getTime() ?? ctx.now()));
    const note = `${services.length} service(s) on ${release.version}`;
    marks.push({ state: 'mixedVersions', edge: 'end', at: end, by, note }, { state: 'dbAheadOfServices', edge: 'end', at: end, by, note });
  }
  await markAll(ctx.records, ctx.job.pipelineExecutionId, marks);
}

/** The newest deployment on the target revision (created since `since`, when given): the rollout this stage watches. */
const oursOf = (service: Service, target: string | undefined, since?: number): Deployment | undefined =>
  (service.deployments ?? [])
    .filter((d) => (!target || d.taskDefinition === target) && (since === undefined || (d.createdAt?.getTime() ?? 0) >= since))
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];

/** Ends a phrase with exactly one period. */
const sentence = (text: string) => (text.endsWith('.') ? text : `${text}.`);

const primaryOf = (service: Service): Deployment | undefined => service.deployments?.find((d) => d.status === 'PRIMARY');

/**
 * Where one service's deployment stands. "Ours" is the newest deployment on the target revision
 * (created since `since`, when given). Finished only when ours is PRIMARY and COMPLETED (circuit
 * breaker on), or, without a circuit breaker (no rollout state to trust), PRIMARY with all its
 * tasks running and no other deployment left.
 */
export function judge(service: Service, target: string | undefined, since?: number): Verdict {
  const ours = oursOf(service, target, since);
  const primary = primaryOf(service);
  const events = (service.events ?? []).slice(0, 2).map((e) => e.message).filter(Boolean);
  const recent = events.length ? ` Latest events: ${events.join(' / ')}` : '';
  const reason = sentence(ours?.rolloutStateReason ?? 'no reason given');
  const wanted = target ? `on ${arnId(target)}` : 'since the rollouts started';
  const alarm = ours?.rolloutState === 'FAILED' ? alarmFailure(service, ours) : undefined;
  if (ours?.status === 'PRIMARY') {
    if (ours.rolloutState === 'FAILED') return { failed: `rollout FAILED${alarm ? ` on ${alarm}` : ''}: ${reason}${recent}`, deployment: ours.id };
    const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker?.enable === true;
    const running = ours.runningCount ?? 0;
    const desired = ours.desiredCount ?? 0;
    const finished = breaker ? ours.rolloutState === 'COMPLETED' : running === desired && service.deployments!.length === 1;
    if (finished) return { done: true };
    const others = service.deployments!.length - 1;
    return {
      done: false,
      progress: desired ? Math.min(running / desired, 1) * 0.99 : 0,
      waiting: `${running}/${desired} tasks on ${arnId(ours.taskDefinition)}${!breaker && others ? `, ${others} older deployment(s) draining` : ''}`,
      ...(breaker ? {} : { watch: ours }),
    };
  }
  const now = primary ? `${arnId(primary.taskDefinition)} (deployment ${primary.id}, ${primary.rolloutState ?? primary.status})` : 'no primary deployment';
  if (ours?.rolloutState === 'FAILED') {
    return { failed: `${alarm ? `ECS rolled back the release on ${alarm}` : 'the circuit breaker rolled back the release'}: the service returned to ${now}. Release deployment ${ours.id} FAILED: ${reason}${recent}`, deployment: ours.id };
  }
  return {
    failed: `the release deployment ${wanted}${ours ? ` (${ours.id})` : ''} is no longer the service's (${ours ? ours.status : 'gone'}); the service runs ${now}: a circuit-breaker rollback or another deployment replaced it.${recent}`,
    deployment: ours?.id,
  };
}

/**
 * A rollout that the service's ECS deployment alarms failed (deploymentConfiguration.alarms):
 * ECS says only `deployment failed: alarm detected.` (its service event and rolloutStateReason),
 * not which alarm; the service's configuration names the candidates.
 */
function alarmFailure(service: Service, ours: Deployment): string | undefined {
  const alarms = service.deploymentConfiguration?.alarms;
  if (!alarms?.enable || !alarms.alarmNames?.length) return undefined;
  const texts = [ours.rolloutStateReason, ...(service.events ?? []).map((e) => e.message)];
  if (!texts.some((t) => /alarm detected/i.test(t ?? ''))) return undefined;
  const names = alarms.alarmNames;
  return names.length === 1 ? `its deployment alarm ${names[0]} (ALARM)` : `one of its deployment alarms ${names.join(', ')} (ALARM; the alarms' history shows which)`;
}
