/** Deploy_Scheduler and Deploy_Spryker_services: parallel rolling deploys tracked to completion. */
import { ECSClient, UpdateServiceCommand, type Deployment, type Service } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { readArtifactFile } from './runtime/artifacts';
import { arnId } from './runtime/arn';
import { describeServices, stoppedTaskReasons } from './runtime/ecs';
import { call, defineStep, describeError, StepFailure, type StepContext, type StepDefinition, type StepResult } from './runtime/job';
import { loadModel } from './runtime/load-model';
import { mapLimit } from './runtime/map-limit';
import { selectServices, type DeploymentModel, type ModelService, type ServiceSelection } from './runtime/model';
import { oneOf, parseParams } from './runtime/params';
import { pollWhileTimeRemains } from './runtime/poll';
import { parseRelease, RELEASE_FILE, releaseOf, type ReleaseManifest } from './runtime/release';

export interface DeployParams {
  /** SSM parameter name of the deployment model. */
  readonly model: string;
  /** Which services of the model this stage deploys. */
  readonly services: ServiceSelection;
  /**
   * `release`: each service moves to its task definition in release.json (the input artifact).
   * `current`: each service is redeployed on its current task definition (forceNewDeployment, no
   * input artifact), e.g. to pick up new parameters (Rollout_Scheduler).
   * @default 'release'
   */
  readonly revision?: 'release' | 'current';
}

/** A rollout not finished after this long fails the job, naming the services still rolling out. */
export const DEPLOY_TIMEOUT_MS = 60 * 60_000;
/** UpdateService calls in flight at once. */
const CONCURRENCY = 10;
const DEPLOYMENT_PREFIX = 'ecs-svc/';

/**
 * Small enough for a 50-service shop (~1.5 KB as a token): when the rollouts started, and per
 * service of the selection (model order) its deployment id without `ecs-svc/`, '' once finished.
 */
interface DeployState {
  readonly startedAt: number;
  readonly deployments: string[];
}

export const step: StepDefinition<DeployParams, DeployState> = {
  name: 'deploy',
  parseParams: (raw) =>
    parseParams<DeployParams>('deploy', raw, {
      model: 'string',
      services: ['application', 'scheduler', 'all'],
      revision: oneOf(['release', 'current']),
    }),
  run: async (ctx, resumed) => {
    const model = await loadModel(ctx.client(SSMClient), ctx.params.model, ctx.now());
    const services = selectServices(model, ctx.params.services);
    const release = (ctx.params.revision ?? 'release') === 'release' ? parseRelease(await readArtifactFile(ctx, RELEASE_FILE), RELEASE_FILE) : undefined;
    if (resumed && resumed.deployments.length !== services.length) {
      throw new StepFailure(`the model lists ${services.length} services, the deployment started with ${resumed.deployments.length}: the model changed during the deployment; retry the stage`);
    }
    const state = resumed ?? (await startDeployments(ctx, model, services, release));
    return pollWhileTimeRemains(ctx, () => checkDeployments(ctx, model, services, release, state));
  },
};

export const handler = defineStep(step);

async function startDeployments(ctx: StepContext<DeployParams>, model: DeploymentModel, services: ModelService[], release?: ReleaseManifest): Promise<DeployState> {
  const ecs = ctx.client(ECSClient);
  const live = await describeServices(ecs, model.cluster, services.map((s) => s.service));
  // Every target is resolved before the first UpdateService: a bad release changes nothing.
  const targets = services.map((s) => (release ? releaseOf(release, s.service).taskDefinition : live.get(s.service)!.taskDefinition!));
  const outcomes = await mapLimit(services, CONCURRENCY, async (svc) => {
    const i = services.indexOf(svc);
    const primary = primaryOf(live.get(svc.service)!);
    // A duplicate delivery (or a retried stage) finds the release already primary: track it, do not repeat.
    if (release && primary?.taskDefinition === targets[i]) return { id: primary.id! };
    try {
      const out = await call(
        `ECS UpdateService ${svc.service} to ${arnId(targets[i])} in cluster ${model.cluster}`,
        ecs.send(new UpdateServiceCommand({ cluster: model.cluster, service: svc.service, taskDefinition: targets[i], forceNewDeployment: !release })),
      );
      return { id: primaryOf(out.service!)!.id!, updated: true };
    } catch (err) {
      return { error: err as Error };
    }
  });
  const failed = outcomes.flatMap((o) => (o.error ? [o.error] : []));
  if (failed.length) {
    const updated = services.filter((_, i) => outcomes[i].updated).map((s) => s.service);
    const first = describeError(failed[0]);
    throw new StepFailure(
      `${failed.map((e) => describeError(e).message).join('; ')}${updated.length ? `. Already rolling out (they continue): ${updated.join(', ')}` : ''}`,
      first.type,
    );
  }
  console.log(JSON.stringify({ deployments: services.map((s, i) => `${s.service}=${outcomes[i].id}`) }));
  return { startedAt: ctx.now(), deployments: outcomes.map((o) => o.id!.replace(DEPLOYMENT_PREFIX, '')) };
}

type Verdict = { readonly done: true } | { readonly done: false; readonly progress: number; readonly waiting: string } | { readonly failed: string; readonly deployment: string };

async function checkDeployments(
  ctx: StepContext<DeployParams>,
  model: DeploymentModel,
  services: ModelService[],
  release: ReleaseManifest | undefined,
  state: DeployState,
): Promise<StepResult<DeployState>> {
  const ecs = ctx.client(ECSClient);
  const pending = services.map((s, i) => ({ s, i })).filter(({ i }) => state.deployments[i] !== '');
  const live = await describeServices(ecs, model.cluster, pending.map(({ s }) => s.service));
  const deployments = [...state.deployments];
  const waiting: string[] = [];
  const failures: string[] = [];
  let progress = services.length - pending.length;
  for (const { s, i } of pending) {
    const id = DEPLOYMENT_PREFIX + state.deployments[i];
    const verdict = judge(live.get(s.service)!, id, release && releaseOf(release, s.service).taskDefinition);
    if ('failed' in verdict) {
      const stopped = await stoppedTaskReasons(ecs, model.cluster, verdict.deployment).catch((err) => [`(stopped tasks unreadable: ${describeError(err).message})`]);
      failures.push(`service ${s.service}: ${sentence(verdict.failed)}${stopped.length ? ` Stopped tasks: ${stopped.join(' | ')}` : ''}`);
    } else if (verdict.done) {
      deployments[i] = '';
      progress++;
    } else {
      waiting.push(`${s.service} (${verdict.waiting})`);
      progress += verdict.progress;
    }
  }
  const where = `in cluster ${model.cluster}`;
  if (failures.length) {
    throw new StepFailure(`deployment failed ${where}: ${failures.join(' || ')}${waiting.length ? `. Still rolling out: ${waiting.join(', ')}` : ''}`);
  }
  const seconds = Math.round((ctx.now() - state.startedAt) / 1000);
  if (!waiting.length) {
    return { status: 'done', summary: `${services.length} service(s) on ${release ? `release ${release.version}` : 'a fresh deployment'} after ${seconds} s: ${services.map((s) => s.service).join(', ')}` };
  }
  if (ctx.now() - state.startedAt > DEPLOY_TIMEOUT_MS) {
    throw new StepFailure(`deployment timed out after ${Math.round(seconds / 60)} min ${where}: still rolling out ${waiting.join(', ')}: check the services' events`);
  }
  return {
    status: 'continue',
    state: { ...state, deployments },
    summary: `${services.length - waiting.length}/${services.length} services rolled out after ${seconds} s; waiting for ${waiting.join(', ')}`,
    percentComplete: (100 * progress) / services.length,
  };
}

/** Ends a phrase with exactly one period. */
const sentence = (text: string) => (text.endsWith('.') ? text : `${text}.`);

const primaryOf = (service: Service): Deployment | undefined => service.deployments?.find((d) => d.status === 'PRIMARY');

/**
 * Where one service's deployment stands. Finished only when our deployment is PRIMARY on the
 * target revision and COMPLETED (circuit breaker on), or runs all its tasks with no other
 * deployment left (circuit breaker off, no rollout state to trust).
 */
export function judge(service: Service, id: string, target: string | undefined): Verdict {
  const ours = service.deployments?.find((d) => d.id === id);
  const primary = primaryOf(service);
  const events = (service.events ?? []).slice(0, 2).map((e) => e.message).filter(Boolean);
  const recent = events.length ? ` Latest events: ${events.join(' / ')}` : '';
  const reason = sentence(ours?.rolloutStateReason ?? 'no reason given');
  if (ours?.status === 'PRIMARY' && (!target || ours.taskDefinition === target)) {
    if (ours.rolloutState === 'FAILED') return { failed: `rollout FAILED: ${reason}${recent}`, deployment: id };
    const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker?.enable === true;
    const running = ours.runningCount ?? 0;
    const desired = ours.desiredCount ?? 0;
    const finished = breaker ? ours.rolloutState === 'COMPLETED' : running === desired && service.deployments!.length === 1;
    if (finished) return { done: true };
    return { done: false, progress: desired ? Math.min(running / desired, 1) * 0.99 : 0, waiting: `${running}/${desired} tasks on ${arnId(ours.taskDefinition)}` };
  }
  const now = primary ? `${arnId(primary.taskDefinition)} (deployment ${primary.id}, ${primary.rolloutState ?? primary.status})` : 'no primary deployment';
  if (ours?.rolloutState === 'FAILED') {
    return { failed: `the circuit breaker rolled back the release: the service returned to ${now}. Release deployment ${id} FAILED: ${reason}${recent}`, deployment: id };
  }
  return {
    failed: `the release deployment ${id} is no longer the service's (${ours ? ours.status : 'gone'}); the service runs ${now}: a circuit-breaker rollback or another deployment replaced it.${recent}`,
    deployment: id,
  };
}
