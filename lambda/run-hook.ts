/** Run_pre-deploy_hook, Run_install, Run_post-deploy_hook: a one-off ECS task running a hook. */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, RunTaskCommand, type TaskOverride } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { disableMaintenance, enableMaintenance, loadMaintenanceConfig } from './maintenance-mode';
import { readArtifactFile } from './runtime/artifacts';
import { arnId } from './runtime/arn';
import { describeServices, describeStoppedTask } from './runtime/ecs';
import { call, defineStep, describeError, MAX_FAILURE_MESSAGE, StepFailure, type StepContext, type StepDefinition, type StepResult } from './runtime/job';
import { loadModel } from './runtime/load-model';
import { logTail } from './runtime/log-tail';
import type { DeploymentModel } from './runtime/model';
import { parseParams } from './runtime/params';
import { pollWhileTimeRemains } from './runtime/poll';
import { parseRelease, RELEASE_FILE, releaseOf } from './runtime/release';

import type { HookName, HookTaskDefinition } from '../lib/contracts';
export type { HookName };

export interface RunHookParams {
  /** SSM parameter name of the deployment model. */
  readonly model: string;
  /** Which of the model's hooks to run. */
  readonly hook: HookName;
  /** `live`: the hook service's running revision (pre-deploy, as SCCOS); `release`: the new revision from release.json. */
  readonly taskDefinition: HookTaskDefinition;
  /** Scheduler command run after the hook in the same task, e.g. `vendor/bin/console scheduler:suspend -vvv --no-ansi`. */
  readonly then?: string;
  /**
   * SSM parameter of the environment's maintenance configuration: maintenance is turned on before
   * the task starts and lifted when the stage ends, whatever the outcome.
   * @default - no maintenance mode
   */
  readonly maintenance?: string;
}

/** ECS refuses RunTask overrides longer than this (JSON included). */
export const MAX_OVERRIDES_LENGTH = 8192;

/** State between invocations: the task started, its task definition, the container watched, when. */
interface HookState {
  readonly task: string;
  readonly taskDefinition: string;
  readonly container: string;
  readonly startedAt: number;
  /** This stage turned maintenance on, so it lifts it when it ends. */
  readonly maintenance?: boolean;
}

/** A command that runs nothing: absent, empty, or `true`. */
const isNoop = (command: string | undefined) => command === undefined || ['', 'true'].includes(command.trim());

/**
 * The shell script of the task: the hook, then the scheduler command, stopping at the first
 * failing command (`set -e`, as SCCOS's hook scripts). Undefined when nothing is left to run:
 * a disabled hook (`true`) still suspends or sets up the scheduler, which the deployment relies on.
 */
export function hookScript(hook: string | undefined, then: string | undefined): string | undefined {
  const commands = [hook, then].filter((c): c is string => !isNoop(c));
  return commands.length ? ['set -e', ...commands].join('\n') : undefined;
}

/** The RunTask overrides that run a script in a container. */
export function hookOverrides(container: string, script: string): TaskOverride {
  return { containerOverrides: [{ name: container, command: ['sh', '-c', script] }] };
}

/** RunTask's clientToken (at most 64 characters): the same job never starts a second task. */
export const clientToken = (jobId: string) => jobId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 64);

export const step: StepDefinition<RunHookParams, HookState> = {
  name: 'run-hook',
  parseParams: (raw) =>
    parseParams<RunHookParams>('run-hook', raw, {
      model: 'string',
      hook: ['beforeDeploy', 'install', 'destructiveInstall', 'afterDeploy'],
      taskDefinition: ['live', 'release'],
      then: 'string?',
      maintenance: 'string?',
    }),
  run: async (ctx, resumed) => {
    const model = await loadModel(ctx.client(SSMClient), ctx.params.model, ctx.now());
    // Whether this stage turned maintenance on: then every way it ends lifts it.
    const maintenance = { owned: resumed?.maintenance === true };
    let result: StepResult<HookState>;
    try {
      result = await runHook(ctx, model, resumed, maintenance);
    } catch (err) {
      if (!maintenance.owned) throw err;
      const { message, type } = describeError(err);
      throw new StepFailure(withNote(message, (await liftMaintenance(ctx, model)).note), type);
    }
    if (result.status === 'continue' || !maintenance.owned) return result;
    const lifted = await liftMaintenance(ctx, model);
    if (!lifted.ok) throw new StepFailure(`hook ${ctx.params.hook} succeeded, but ${lifted.note}`);
    return { ...result, summary: `${result.summary}; ${lifted.note}` };
  },
};

async function runHook(
  ctx: StepContext<RunHookParams>,
  model: DeploymentModel,
  resumed: HookState | undefined,
  maintenance: { owned: boolean },
): Promise<StepResult<HookState>> {
  let state = resumed;
  if (!state) {
    const script = hookScript(model.hooks[ctx.params.hook], ctx.params.then);
    if (!script) return { status: 'done', summary: `hook ${ctx.params.hook}: nothing to run (none or 'true'), no task started` };
    if (ctx.params.maintenance) {
      const config = await loadMaintenanceConfig(ctx.client(SSMClient), ctx.params.maintenance);
      // An enable that fails creates no 503 rule (it comes last): nothing to lift, no task started.
      const on = await enableMaintenance(ctx.client(ElasticLoadBalancingV2Client), config);
      // Turned on by someone else (the maintenance pipeline): theirs to lift.
      maintenance.owned = !on.wasOn;
      console.log(JSON.stringify({ hook: ctx.params.hook, maintenance: on.summary }));
    }
    state = { ...(await startTask(ctx, model, script)), ...(maintenance.owned && { maintenance: true }) };
  }
  const started = state;
  return pollWhileTimeRemains(ctx, () => checkTask(ctx, model, started));
}

/** Lifts maintenance; never throws: a failure to lift is what the person must act on. */
async function liftMaintenance(ctx: StepContext<RunHookParams>, model: DeploymentModel): Promise<{ ok: boolean; note: string }> {
  try {
    const config = await loadMaintenanceConfig(ctx.client(SSMClient), ctx.params.maintenance!);
    const summary = await disableMaintenance(ctx.client(ElasticLoadBalancingV2Client), config);
    console.log(JSON.stringify({ hook: ctx.params.hook, maintenance: summary }));
    return { ok: true, note: 'maintenance mode lifted' };
  } catch (err) {
    return {
      ok: false,
      note: `MAINTENANCE MODE IS STILL ON: lifting it failed (${describeError(err).message}); run the pipeline ${model.env}-maintenance-disable`,
    };
  }
}

/** The failure's first line, the note, then as much of the rest (the log tail's newest lines) as fits. */
export function withNote(message: string, note: string): string {
  const [head, ...rest] = message.split('\n');
  const tail = rest.join('\n');
  const room = MAX_FAILURE_MESSAGE - head.length - note.length - 3;
  return [head, note, ...(tail ? [tail.length > room ? `…${tail.slice(-room)}` : tail] : [])].join('\n');
}

export const handler = defineStep(step);

async function startTask(ctx: StepContext<RunHookParams>, model: DeploymentModel, script: string): Promise<HookState> {
  const { hook } = ctx.params;
  const ecs = ctx.client(ECSClient);
  const hookService = model.services.find((s) => s.app === model.hookService);
  if (!hookService) {
    throw new StepFailure(`hook service '${model.hookService}' is not among the model's services: redeploy the pipeline stack`, 'ConfigurationError');
  }
  const service = (await describeServices(ecs, model.cluster, [hookService.service])).get(hookService.service)!;
  const taskDefinition =
    ctx.params.taskDefinition === 'live'
      ? service.taskDefinition!
      : releaseOf(parseRelease(await readArtifactFile(ctx, RELEASE_FILE), RELEASE_FILE), hookService.service).taskDefinition;
  const definition = await describeTaskDefinition(ecs, taskDefinition);
  const containers = definition.containerDefinitions ?? [];
  // The application container (the one whose image the release replaces), else the first essential one.
  const container =
    containers.find((c) => c.name !== undefined && c.name in hookService.containers) ?? containers.find((c) => c.essential !== false);
  if (!container?.name) throw new StepFailure(`task definition ${taskDefinition} has no container to run the ${hook} hook in`, 'ConfigurationError');

  const overrides = hookOverrides(container.name, script);
  const length = JSON.stringify(overrides).length;
  if (length > MAX_OVERRIDES_LENGTH) {
    throw new StepFailure(
      `hook ${hook}: the command override is ${length} characters, ECS accepts ${MAX_OVERRIDES_LENGTH}: move the commands into a script in the image`,
      'ConfigurationError',
    );
  }
  const capacity = service.capacityProviderStrategy?.length ? service.capacityProviderStrategy : undefined;
  const where = `ECS RunTask of ${taskDefinition} (hook ${hook}) in cluster ${model.cluster}`;
  const out = await call(
    where,
    ecs.send(
      new RunTaskCommand({
        cluster: model.cluster,
        taskDefinition,
        count: 1,
        clientToken: clientToken(ctx.jobId),
        startedBy: `pipeline-${hook}`,
        networkConfiguration: service.networkConfiguration,
        launchType: capacity ? undefined : service.launchType,
        capacityProviderStrategy: capacity,
        platformVersion: service.platformVersion,
        overrides,
      }),
    ),
  );
  const task = out.tasks?.[0];
  if (!task?.taskArn) {
    const reasons = (out.failures ?? []).map((f) => `${f.reason}${f.detail ? ` (${f.detail})` : ''}${f.arn ? ` for ${f.arn}` : ''}`);
    throw new StepFailure(`${where}: ECS started no task: ${reasons.join('; ') || 'no reason given'}`, 'JobFailed');
  }
  console.log(JSON.stringify({ hook, task: task.taskArn, taskDefinition, container: container.name }));
  return { task: task.taskArn, taskDefinition, container: container.name, startedAt: ctx.now() };
}

async function describeTaskDefinition(ecs: ECSClient, taskDefinition: string) {
  const out = await call(`ECS DescribeTaskDefinition ${taskDefinition}`, ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })));
  return out.taskDefinition!;
}

async function checkTask(ctx: StepContext<RunHookParams>, model: DeploymentModel, state: HookState): Promise<StepResult<HookState>> {
  const { hook } = ctx.params;
  const ecs = ctx.client(ECSClient);
  const id = arnId(state.task);
  const where = `hook ${hook}: task ${id} of ${arnId(state.taskDefinition)} in cluster ${model.cluster}`;
  const out = await call(`ECS DescribeTasks ${id} in cluster ${model.cluster}`, ecs.send(new DescribeTasksCommand({ cluster: model.cluster, tasks: [state.task] })));
  const task = out.tasks?.[0];
  if (!task) {
    throw new StepFailure(`${where}: ECS no longer knows the task (it forgets stopped tasks after about an hour): check the cluster's stopped tasks, then retry the stage`);
  }
  const seconds = Math.round((ctx.now() - state.startedAt) / 1000);
  if (task.lastStatus !== 'STOPPED') {
    return { status: 'continue', state, summary: `hook ${hook}: task ${id} ${task.lastStatus ?? 'PENDING'} for ${seconds} s` };
  }
  const container = task.containers?.find((c) => c.name === state.container);
  if (container?.exitCode === 0) return { status: 'done', summary: `hook ${hook}: task ${id} exited 0 after ${seconds} s` };

  const head = [`${where} failed: ${describeStoppedTask(task)}.${hint(task.stopCode, container?.reason)}`];
  const definition = await describeTaskDefinition(ecs, state.taskDefinition).catch(() => undefined);
  const logged = definition?.containerDefinitions?.find((c) => c.name === state.container);
  const tail = logged ? await logTail(ctx.client(CloudWatchLogsClient), logged, state.task) : '(no log lines: the task definition is gone)';
  throw new StepFailure(fitTail(head.join('\n'), tail, MAX_FAILURE_MESSAGE));
}

/** What to do about the usual ways a one-off task dies. */
function hint(stopCode: string | undefined, reason: string | undefined): string {
  if (/OutOfMemory/i.test(reason ?? '')) return ' The container ran out of memory: raise the memory of the hook service\'s task definition.';
  if (stopCode === 'TaskFailedToStart') return ' The task never started: check the image exists, the execution role, and the subnets\' route to ECR.';
  return '';
}

/** The head, then as many of the tail's last lines as fit in `max` characters. */
export function fitTail(head: string, tail: string, max: number): string {
  const lines = tail.split('\n');
  let text = `${head}\n${tail}`;
  // Drop the oldest log lines (after the "last N log lines" title) until it fits.
  while (text.length > max && lines.length > 2) {
    lines.splice(1, 1);
    text = `${head}\n${lines[0]} …\n${lines.slice(1).join('\n')}`;
  }
  return text.slice(0, max);
}
