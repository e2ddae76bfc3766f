/** Run_pre-deploy_hook, Run_install, Run_post-deploy_hook: a one-off ECS task running a hook. */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand, type RunTaskCommandInput, type TaskOverride } from '@aws-sdk/client-ecs';
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
import { pollWhileTimeRemains, read, type PollState } from './runtime/poll';
import { assertReleaseOf, parseRelease, RELEASE_FILE, releaseOf } from './runtime/release';
import { markAll, type MarkInput } from './runtime/timeline';
import type { Task } from '@aws-sdk/client-ecs';

import { RunHookParams } from '../lib/contracts/params';

/** ECS refuses RunTask overrides longer than this (JSON included). */
export const MAX_OVERRIDES_LENGTH = 8192;

/** State between invocations: the task started, its task definition, the container watched, when. */
interface HookState extends PollState {
  readonly task: string;
  readonly taskDefinition: string;
  readonly container: string;
  readonly startedAt: number;
  /** This stage turned maintenance on, so it lifts it when it ends. */
  readonly maintenance?: boolean;
  /** The task's start is on the timeline (marked once, when first seen started). */
  readonly startMarked?: boolean;
}

/** A command that runs nothing: absent, empty, or `true`. */
const isNoop = (command: string | undefined) => command === undefined || ['', 'true'].includes(command.trim());

/** `$0` of the task's shell: names the script in `ps` and in sh's own error messages. */
const SCRIPT_NAME = 'spryker-hook';

/**
 * The task's command: the hook, then the scheduler command, each as its own `sh -ec` argument
 * (`set -e` inside, as SCCOS's hook scripts), the next one only if the previous succeeded. No hook
 * text (a trailing backslash, `exit 0`, an unbalanced quote) can swallow or skip the scheduler
 * command: it is never part of the hook's script. Undefined when nothing is left to run: a
 * disabled hook (`true`) still suspends or sets up the scheduler, which the deployment relies on.
 */
export function hookCommand(hook: string | undefined, then: string | undefined): string[] | undefined {
  const commands = [hook, then].filter((c): c is string => !isNoop(c));
  if (!commands.length) return undefined;
  return ['sh', '-c', commands.map((_, i) => `sh -ec "$${i + 1}"`).join(' && '), SCRIPT_NAME, ...commands];
}

/** The RunTask overrides that run a command in a container. */
export function hookOverrides(container: string, command: string[]): TaskOverride {
  return { containerOverrides: [{ name: container, command }] };
}

/** RunTask's clientToken (at most 64 characters): the same job never starts a second task. */
export const clientToken = (jobId: string) => jobId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 64);

/** Who turns maintenance on: the corroborated pipeline execution, the key of the out-of-band lift. */
const maintenanceOwner = (ctx: StepContext<RunHookParams>) => ctx.job.pipelineExecutionId;

export const step: StepDefinition<RunHookParams, HookState> = {
  name: 'run-hook',
  parseParams: (raw) => parseParams('run-hook', raw, RunHookParams),
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
    const command = hookCommand(model.hooks[ctx.params.hook], ctx.params.then);
    // Stryker disable next-line StringLiteral: the job runtime tells only 'continue' apart from done
    if (!command) return { status: 'done', summary: `hook ${ctx.params.hook}: nothing to run (none or 'true'), no task started` };
    // Everything that can fail without a side effect, before maintenance goes on.
    const plan = await planTask(ctx, model, command);
    // Stryker disable next-line StringLiteral: any fallback that is neither 'none' nor 'additive' reads the same
    if (ctx.params.maintenance && !['none', 'additive'].includes(ctx.params.schemaRisk ?? '')) {
      const config = await loadMaintenanceConfig(ctx.client(SSMClient), ctx.params.maintenance);
      const owner = maintenanceOwner(ctx);
      // An enable that fails creates no 503 rule (it comes last): nothing to lift, no task started.
      const on = await enableMaintenance(ctx.client(ElasticLoadBalancingV2Client), config, owner);
      // Turned on by someone else (the maintenance pipeline): theirs to lift. A concurrent twin of this execution: ours.
      maintenance.owned = !on.wasOn || on.owner === owner;
      console.log(JSON.stringify({ hook: ctx.params.hook, maintenance: on.summary, owner: on.owner }));
      // ELB answers with no time of its own: the moment the 503 rule exists.
      if (maintenance.owned) await markAll(ctx.records, ctx.job.pipelineExecutionId, [{ state: 'maintenance', edge: 'start', at: ctx.now(), by: by(ctx) }]);
    }
    state = { ...(await startTask(ctx, model, plan)), ...(maintenance.owned && { maintenance: true }) };
  }
  return pollWhileTimeRemains(ctx, state, (s) => checkTask(ctx, model, s));
}

/** Lifts maintenance; never throws: a failure to lift is what the person must act on. */
async function liftMaintenance(ctx: StepContext<RunHookParams>, model: DeploymentModel): Promise<{ ok: boolean; note: string }> {
  try {
    const config = await loadMaintenanceConfig(ctx.client(SSMClient), ctx.params.maintenance!);
    const summary = await disableMaintenance(ctx.client(ElasticLoadBalancingV2Client), config);
    console.log(JSON.stringify({ hook: ctx.params.hook, maintenance: summary }));
    await markAll(ctx.records, ctx.job.pipelineExecutionId, [{ state: 'maintenance', edge: 'end', at: ctx.now(), by: by(ctx) }]);
    return { ok: true, note: 'maintenance mode lifted' };
  } catch (err) {
    return {
      ok: false,
      note: `MAINTENANCE IS STILL ON: lifting it failed (${describeError(err).message}); run the pipeline ${model.env}-maintenance-disable`,
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

interface TaskPlan {
  readonly taskDefinition: string;
  readonly container: string;
  readonly input: RunTaskCommandInput;
}

/** The RunTask request, and every check on it that needs no side effect (nothing is changed here). */
async function planTask(ctx: StepContext<RunHookParams>, model: DeploymentModel, command: string[]): Promise<TaskPlan> {
  const { hook } = ctx.params;
  const ecs = ctx.client(ECSClient);
  const hookService = model.services.find((s) => s.app === model.hookService);
  if (!hookService) {
    throw new StepFailure(`hook service '${model.hookService}' is not among the model's services: redeploy the pipeline stack`, 'ConfigurationError');
  }
  const service = (await describeServices(ecs, model.cluster, [hookService.service])).get(hookService.service)!;
  let taskDefinition = service.taskDefinition!;
  if (ctx.params.taskDefinition === 'release') {
    const release = parseRelease(await readArtifactFile(ctx, RELEASE_FILE), RELEASE_FILE);
    assertReleaseOf(release, model, [{ service: hookService.service, liveTaskDefinition: taskDefinition }]);
    taskDefinition = releaseOf(release, hookService.service).taskDefinition;
  }
  const definition = await describeTaskDefinition(ecs, taskDefinition);
  // Stryker disable next-line ArrayDeclaration: a fallback list is only read without containerDefinitions, and no list names the application container
  const names = (definition.containerDefinitions ?? []).map((c) => c.name);
  // The application container (the one whose image the release replaces) decides: never a sidecar.
  const container = Object.keys(hookService.containers).find((name) => names.includes(name));
  if (!container) {
    throw new StepFailure(
      `hook ${hook}: task definition ${taskDefinition} has no application container ${Object.keys(hookService.containers).join(' or ')} (it has ${names.join(', ') || 'none'}): fix the hook service's containerImages`,
      'ConfigurationError',
    );
  }
  const overrides = hookOverrides(container, command);
  const length = JSON.stringify(overrides).length;
  if (length > MAX_OVERRIDES_LENGTH) {
    throw new StepFailure(
      `hook ${hook}: the command override is ${length} characters, ECS accepts ${MAX_OVERRIDES_LENGTH}: move the commands into a script in the image`,
      'ConfigurationError',
    );
  }
  const network = service.networkConfiguration;
  if (definition.networkMode === 'awsvpc' && !network?.awsvpcConfiguration?.subnets?.length) {
    throw new StepFailure(
      `hook ${hook}: task definition ${arnId(taskDefinition)} uses awsvpc networking, but service ${hookService.service} has no subnets to run the task in: give the service a network configuration`,
      'ConfigurationError',
    );
  }
  const capacity = service.capacityProviderStrategy?.length ? service.capacityProviderStrategy : undefined;
  return {
    taskDefinition,
    container,
    input: {
      cluster: model.cluster,
      taskDefinition,
      count: 1,
      clientToken: clientToken(ctx.jobId),
      startedBy: `pipeline-${hook}`,
      networkConfiguration: network,
      launchType: capacity ? undefined : service.launchType,
      capacityProviderStrategy: capacity,
      platformVersion: service.platformVersion,
      overrides,
    },
  };
}

async function startTask(ctx: StepContext<RunHookParams>, model: DeploymentModel, plan: TaskPlan): Promise<HookState> {
  const { hook } = ctx.params;
  const where = `ECS RunTask of ${plan.taskDefinition} (hook ${hook}) in cluster ${model.cluster}`;
  const out = await call(where, ctx.client(ECSClient).send(new RunTaskCommand(plan.input)));
  const task = out.tasks?.[0];
  if (!task?.taskArn) {
    const reasons = (out.failures ?? []).map((f) => `${f.reason}${f.detail ? ` (${f.detail})` : ''}${f.arn ? ` for ${f.arn}` : ''}`);
    throw new StepFailure(`${where}: ECS started no task: ${reasons.join('; ') || 'no reason given'}`, 'JobFailed');
  }
  console.log(JSON.stringify({ hook, task: task.taskArn, taskDefinition: plan.taskDefinition, container: plan.container }));
  return { task: task.taskArn, taskDefinition: plan.taskDefinition, container: plan.container, startedAt: ctx.now() };
}

async function describeTaskDefinition(ecs: ECSClient, taskDefinition: string) {
  const out = await call(`ECS DescribeTaskDefinition ${taskDefinition}`, ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })));
  return out.taskDefinition!;
}

const by = (ctx: StepContext<RunHookParams>) => `${ctx.job.stageName}/${ctx.job.actionName}`;

/**
 * The timeline edges a hook's task gives (docs/states.md), at ECS's own times: its start once
 * (startedAt; the install's migrations), and at its stop (stoppedAt) what its last command, the
 * scheduler command, did: suspend pauses the scheduler, setup resumes it and starts the sync
 * catch-up. Only an exit 0 ran the scheduler command (`&&`).
 */
function taskMarks(ctx: StepContext<RunHookParams>, id: string, task: Task, exitCode: number | undefined, startMarked: boolean): MarkInput[] {
  const { hook, then } = ctx.params;
  const note = `task ${id}`;
  const at = (d: Date | undefined) => d?.getTime();
  const started = at(task.startedAt);
  const stopped = task.lastStatus === 'STOPPED' ? at(task.stoppedAt) : undefined;
  const edges: MarkInput[] = [];
  if (started !== undefined && !startMarked) {
    if (hook === 'beforeDeploy') edges.push({ state: 'preDeployHook', edge: 'start', at: started, by: by(ctx), note });
    if (hook === 'install' || hook === 'destructiveInstall') edges.push({ state: 'dbAheadOfServices', edge: 'start', at: started, by: by(ctx), note: `${note}: migrations` });
  }
  if (stopped !== undefined) {
    const exit = `${note} exit ${exitCode ?? 'none'}`;
    if (hook === 'beforeDeploy') edges.push({ state: 'preDeployHook', edge: 'end', at: stopped, by: by(ctx), note: exit });
    if (exitCode === 0 && then?.includes('scheduler:suspend')) edges.push({ state: 'schedulerPaused', edge: 'start', at: stopped, by: by(ctx), note: 'scheduler:suspend' });
    if (exitCode === 0 && then?.includes('scheduler:setup')) {
      edges.push({ state: 'schedulerPaused', edge: 'end', at: stopped, by: by(ctx), note: 'scheduler:setup' }, { state: 'syncCatchUp', edge: 'start', at: stopped, by: by(ctx), note: 'scheduler:setup' });
    }
  }
  return edges;
}

async function checkTask(ctx: StepContext<RunHookParams>, model: DeploymentModel, resumed: HookState): Promise<StepResult<HookState>> {
  let state = resumed;
  const { hook, timeoutMinutes } = ctx.params;
  const ecs = ctx.client(ECSClient);
  const id = arnId(state.task);
  const where = `hook ${hook}: task ${id} of ${arnId(state.taskDefinition)} in cluster ${model.cluster}`;
  const out = await read(`ECS DescribeTasks ${id} in cluster ${model.cluster}`, ecs.send(new DescribeTasksCommand({ cluster: model.cluster, tasks: [state.task] })));
  const task = out.tasks?.[0];
  if (!task) {
    throw new StepFailure(`${where}: ECS no longer knows the task (it forgets stopped tasks after about an hour): check the cluster's stopped tasks, then retry the stage`);
  }
  const seconds = Math.round((ctx.now() - state.startedAt) / 1000);
  const container = task.containers?.find((c) => c.name === state.container);
  const marks = taskMarks(ctx, id, task, container?.exitCode, state.startMarked === true);
  await markAll(ctx.records, ctx.job.pipelineExecutionId, marks);
  if (task.lastStatus !== 'STOPPED') {
    if (task.startedAt) state = { ...state, startMarked: true };
    const status = task.lastStatus ?? 'PENDING';
    if (seconds * 1000 > timeoutMinutes * 60_000) await timeOut(ctx, model, state, where, status);
    return { status: 'continue', state, summary: `hook ${hook}: task ${id} ${status} for ${seconds} s (limit ${timeoutMinutes} min)` };
  }
  if (container?.exitCode === 0) return { status: 'done', summary: `hook ${hook}: task ${id} exited 0 after ${seconds} s` };
  const head = `${where} failed: ${describeStoppedTask(task)}.${hint(task.stopCode, container?.reason)}`;
  throw new StepFailure(fitTail(head, await tailOf(ctx, state), MAX_FAILURE_MESSAGE));
}

/** The hook ran past its limit: stop the task, then fail naming the hook, the task, the limit and the last log lines. */
async function timeOut(ctx: StepContext<RunHookParams>, model: DeploymentModel, state: HookState, where: string, status: string): Promise<never> {
  const { hook, timeoutMinutes } = ctx.params;
  const limit = `its time limit of ${timeoutMinutes} min (hookTimeouts.${hook})`;
  let stopped: string;
  try {
    // ECS takes a reason of up to 255 characters: a hook name and a number stay far below.
    await ctx.client(ECSClient).send(new StopTaskCommand({ cluster: model.cluster, task: state.task, reason: `pipeline: hook ${hook} exceeded ${limit}` }));
    stopped = 'the task was stopped';
  } catch (err) {
    stopped = `stopping it failed (${describeError(err).message}): the task may still run: aws ecs stop-task --cluster ${model.cluster} --task ${arnId(state.task)}`;
  }
  const head = `${where} ran past ${limit} (${status} after ${Math.round((ctx.now() - state.startedAt) / 60_000)} min): ${stopped}. Make the hook faster, or raise hookTimeouts.${hook}.`;
  throw new StepFailure(fitTail(head, await tailOf(ctx, state), MAX_FAILURE_MESSAGE));
}

/** The watched container's last log lines, redacted; never throws. */
async function tailOf(ctx: StepContext<RunHookParams>, state: HookState): Promise<string> {
  const definition = await describeTaskDefinition(ctx.client(ECSClient), state.taskDefinition).catch(() => undefined);
  // Stryker disable next-line OptionalChaining: a task definition ECS describes always has containerDefinitions (at least one)
  const logged = definition?.containerDefinitions?.find((c) => c.name === state.container);
  return logged ? logTail(ctx.client(CloudWatchLogsClient), logged, state.task) : '(no log lines: the task definition is gone)';
}

/** What to do about the usual ways a one-off task dies. */
function hint(stopCode: string | undefined, reason: string | undefined): string {
  // Stryker disable next-line StringLiteral: any fallback without "OutOfMemory" reads the same
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
