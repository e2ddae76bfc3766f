/**
 * A stateful fake of the AWS APIs the step handlers call (ECS, SSM, CloudWatch Logs,
 * CodePipeline, S3 artifacts), served over HTTP on 127.0.0.1. The real SDK clients talk to it,
 * so request serialization, error parsing and the SDK's retries run for real. Time is a
 * controllable clock: the handler's sleep advances it, and ECS moves (tasks start and stop,
 * deployments roll out, fail, roll back) as it passes.
 */
import { LoopbackServer } from './loopback';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CodePipelineEvent } from 'aws-lambda';
import { decodeToken, stateKey, tokenPointer, type RuntimeDeps, type VerifiedJob } from '../lambda/runtime/job';
import { DynamoDbError, FakeDynamoDb } from './dynamodb';
import { FakeExecutions } from './codepipeline-executions';
import { FakeEcr } from './ecr';
import { FakeElbv2, parseQuery } from './elbv2';
import { FakeEcsBlueGreen } from './ecs-bluegreen';
import { jobDetails, jobEvent, type JobOptions } from './job';
import { FakeVersionedS3 } from './s3-versions';
import { FakeSecretsManager } from './secrets-manager';

export const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

export class AwsError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

export class FakeClock {
  now = Date.parse('2025-03-01T10:00:00Z');
  advance(ms: number) {
    this.now += ms;
  }
}

/** How the next task RunTask starts behaves. */
export type TaskScript =
  | { readonly exitCode: number; readonly runMs?: number; readonly reason?: string; readonly logs?: string[]; readonly sidecarExitCode?: number }
  | { readonly failToStart: string };

/**
 * How a service's next deployment behaves. `crash`: its tasks start and stop again and again (one
 * every CRASH_EVERY_MS); a circuit breaker fails it as `fail` does, without one ECS retries forever.
 */
export type RolloutScript = 'succeed' | 'fail' | 'stall' | 'crash';

export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason?: string;
  createdAt: number;
  /** When the rollout ended (COMPLETED or FAILED): ECS's `updatedAt`. */
  updatedAt?: number;
  desiredCount: number;
  runningCount: number;
  script: RolloutScript;
  rollbackOf?: boolean;
}

export interface FakeServiceSpec {
  readonly name: string;
  readonly family: string;
  /** Container name → image. The first container logs through awslogs. */
  readonly containers: Record<string, string>;
  readonly desiredCount?: number;
  /** Deployment circuit breaker. @default 'rollback' */
  readonly circuitBreaker?: 'rollback' | 'enabled' | 'off';
}

export interface Service {
  name: string;
  taskDefinition: string;
  desiredCount: number;
  circuitBreaker: 'rollback' | 'enabled' | 'off';
  deployments: Deployment[];
  events: { message: string; createdAt: number }[];
  /** The service's awsvpc configuration; tests delete it to model a service without one. */
  network?: Record<string, unknown>;
  /** ECS deployment alarms (deploymentConfiguration.alarms), see ecs-alarms.ts. */
  alarms?: { alarmNames: string[]; rollback: boolean };
}

interface Task {
  arn: string;
  taskDefinition: string;
  startedBy?: string;
  createdAt: number;
  script: TaskScript;
  container: string;
  overrides?: unknown;
  /** StopTask: when, and why. */
  stopped?: { at: number; reason: string };
}

const ROLLOUT_MS = 120_000;
/** A task's provisioning time before its container runs. */
export const TASK_START_MS = 20_000;
const CRASH_EVERY_MS = 20_000;

export class FakeEcs {
  readonly services = new Map<string, Service>();
  readonly definitions = new Map<string, Record<string, unknown>>();
  readonly tasks = new Map<string, Task>();
  private readonly tokens = new Map<string, string>();
  private ids = 4_000_000_000_000_000_000n;
  /** Scripts for the next tasks / deployments (default: exit 0 / succeed). */
  readonly nextTasks: TaskScript[] = [];
  readonly nextRollouts = new Map<string, RolloutScript>();
  /** How long a service's deployment takes to complete (a failing one fails after half of it). */
  rolloutMs: (service: string) => number = () => ROLLOUT_MS;

  constructor(private readonly clock: FakeClock, private readonly logs: FakeLogs) {}

  addService(spec: FakeServiceSpec): string {
    const td = this.register({
      family: spec.family,
      taskRoleArn: arn('iam', `role/${spec.family}-task`),
      executionRoleArn: arn('iam', `role/${spec.family}-exec`),
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '1024',
      memory: '2048',
      containerDefinitions: Object.entries(spec.containers).map(([name, image], i) => ({
        name,
        image,
        essential: true,
        environment: [{ name: 'SPRYKER_ENV', value: 'production' }],
        ...(i === 0
          ? { logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': `/ecs/${spec.family}`, 'awslogs-region': REGION, 'awslogs-stream-prefix': 'spryker' } } }
          : {}),
      })),
      tags: [{ key: 'project', value: 'shop' }],
    });
    const desired = spec.desiredCount ?? 2;
    this.services.set(spec.name, {
      name: spec.name,
      taskDefinition: td,
      desiredCount: desired,
      circuitBreaker: spec.circuitBreaker ?? 'rollback',
      deployments: [this.deployment(td, desired, 'succeed', 'COMPLETED')],
      events: [],
      network: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-app'], assignPublicIp: 'DISABLED' } },
    });
    return td;
  }

  private deployment(taskDefinition: string, desired: number, script: RolloutScript, state: Deployment['rolloutState'] = 'IN_PROGRESS'): Deployment {
    const done = state === 'COMPLETED';
    return { id: `ecs-svc/${this.ids++}`, status: 'PRIMARY', taskDefinition, rolloutState: state, createdAt: this.clock.now, desiredCount: desired, runningCount: done ? desired : 0, script };
  }

  private register(input: Record<string, unknown>): string {
    const family = input.family as string;
    const revision = [...this.definitions.values()].filter((d) => d.family === family).length + 1;
    const taskDefinitionArn = arn('ecs', `task-definition/${family}:${revision}`);
    const { tags, ...def } = input;
    this.definitions.set(taskDefinitionArn, {
      ...def,
      taskDefinitionArn,
      revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
      registeredAt: this.clock.now / 1000,
      registeredBy: arn('sts', 'assumed-role/step/x'),
      tags,
    });
    return taskDefinitionArn;
  }

  private definition(ref: string): Record<string, unknown> {
    const exact = this.definitions.get(ref) ?? [...this.definitions.values()].find((d) => `${d.family}:${d.revision}` === ref);
    const latest = [...this.definitions.values()].filter((d) => d.family === ref).pop();
    const found = exact ?? latest;
    if (!found) throw new AwsError('ClientException', `Unable to describe task definition ${ref}.`);
    return found;
  }

  /** Moves every service and task forward to the clock. */
  private tick() {
    const now = this.clock.now;
    // Two passes: a rollback started in the first moves on in the second.
    for (const s of [...this.services.values(), ...this.services.values()]) {
      const rollout = this.rolloutMs(s.name);
      for (const d of [...s.deployments]) {
        if (d.rolloutState !== 'IN_PROGRESS') continue;
        const age = now - d.createdAt;
        if (d.script === 'crash' && s.circuitBreaker === 'off') {
          for (let i = this.tasksOf(d); i < Math.floor(age / CRASH_EVERY_MS); i++) this.stoppedServiceTask(s, d, i);
        } else if ((d.script === 'fail' || d.script === 'crash') && age >= rollout / 2) {
          d.rolloutState = 'FAILED';
          d.updatedAt = d.createdAt + rollout / 2;
          d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
          for (let i = 0; i < 2; i++) this.stoppedServiceTask(s, d, i);
          if (s.circuitBreaker === 'rollback') {
            d.status = 'ACTIVE';
            const previous = s.deployments.find((x) => x !== d && x.taskDefinition !== d.taskDefinition)?.taskDefinition ?? this.previousOf(d.taskDefinition);
            const back = { ...this.deployment(previous, s.desiredCount, 'succeed' as const), rollbackOf: true, createdAt: d.createdAt + rollout / 2 };
            s.deployments.unshift(back);
            s.taskDefinition = previous;
            s.events.unshift({ message: `(service ${s.name}) rolling back to deployment ${back.id}.`, createdAt: now });
          }
        } else if (d.script === 'succeed') {
          d.runningCount = Math.min(d.desiredCount, Math.floor((age / rollout) * d.desiredCount));
          if (age >= rollout && d.status === 'PRIMARY') {
            d.rolloutState = 'COMPLETED';
            d.updatedAt = d.createdAt + rollout;
            d.runningCount = d.desiredCount;
            s.deployments = [d]; // older deployments drained, the failed one forgotten
            s.events.unshift({ message: `(service ${s.name}) has reached a steady state.`, createdAt: now });
          }
        } else if (d.script === 'stall') {
          d.runningCount = Math.min(d.desiredCount - 1, Math.floor((age / rollout) * d.desiredCount));
        }
      }
    }
  }

  private previousOf(td: string): string {
    const def = this.definition(td);
    return arn('ecs', `task-definition/${def.family}:${(def.revision as number) - 1}`);
  }

  private tasksOf(d: Deployment): number {
    return [...this.tasks.values()].filter((t) => t.startedBy === d.id).length;
  }

  private stoppedServiceTask(s: Service, d: Deployment, i: number) {
    const taskArn = arn('ecs', `task/cluster/${s.name}-failed-${d.id.slice(-4)}-${i}`);
    this.tasks.set(taskArn, {
      arn: taskArn,
      taskDefinition: d.taskDefinition,
      startedBy: d.id,
      createdAt: this.clock.now - 30_000,
      container: (this.definition(d.taskDefinition).containerDefinitions as { name: string }[])[0].name,
      script: { exitCode: 1, runMs: 10_000 },
    });
  }

  private service(cluster: string, name: string): Service {
    if (cluster !== 'production') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    const s = this.services.get(name);
    if (!s) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    return s;
  }

  private describeService(s: Service) {
    return {
      serviceName: s.name,
      serviceArn: arn('ecs', `service/production/${s.name}`),
      status: 'ACTIVE',
      taskDefinition: s.taskDefinition,
      desiredCount: s.desiredCount,
      runningCount: s.deployments.reduce((n, d) => n + d.runningCount, 0),
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration: s.network,
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: s.circuitBreaker !== 'off', rollback: s.circuitBreaker === 'rollback' },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        ...(s.alarms ? { alarms: { ...s.alarms, enable: true } } : {}),
      },
      deployments: s.deployments.map((d) => ({
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinition,
        desiredCount: d.desiredCount,
        runningCount: d.runningCount,
        pendingCount: d.desiredCount - d.runningCount,
        rolloutState: d.rolloutState,
        rolloutStateReason: d.rolloutStateReason,
        createdAt: d.createdAt / 1000,
        updatedAt: (d.updatedAt ?? d.createdAt) / 1000,
      })),
      events: s.events.slice(0, 10).map((e, i) => ({ id: `e${i}`, message: e.message, createdAt: e.createdAt / 1000 })),
    };
  }

  private describeTask(t: Task) {
    const age = this.clock.now - t.createdAt;
    const script = t.script;
    const container = { name: t.container, lastStatus: 'PENDING' } as Record<string, unknown>;
    let task: Record<string, unknown> = { lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' };
    const ends = 'failToStart' in script ? t.createdAt + TASK_START_MS : t.createdAt + TASK_START_MS + (script.runMs ?? 60_000);
    if (t.stopped && t.stopped.at < ends) {
      task = { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: t.stopped.reason, ...(t.stopped.at >= t.createdAt + TASK_START_MS && !('failToStart' in script) ? { startedAt: (t.createdAt + TASK_START_MS) / 1000 } : {}), stoppedAt: t.stopped.at / 1000 };
      Object.assign(container, { lastStatus: 'STOPPED', exitCode: 143 });
    } else if ('failToStart' in script) {
      if (age >= TASK_START_MS) {
        task = { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: script.failToStart, stoppedAt: (t.createdAt + TASK_START_MS) / 1000 };
        Object.assign(container, { lastStatus: 'STOPPED', reason: script.failToStart });
      }
    } else if (age >= TASK_START_MS + (script.runMs ?? 60_000)) {
      task = { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', startedAt: (t.createdAt + TASK_START_MS) / 1000, stoppedAt: (t.createdAt + TASK_START_MS + (script.runMs ?? 60_000)) / 1000 };
      Object.assign(container, { lastStatus: 'STOPPED', exitCode: script.exitCode, ...(script.reason ? { reason: script.reason } : {}) });
    } else if (age >= TASK_START_MS) {
      task = { lastStatus: 'RUNNING', desiredStatus: 'RUNNING', startedAt: (t.createdAt + TASK_START_MS) / 1000 };
      Object.assign(container, { lastStatus: 'RUNNING' });
    }
    // The other containers (sidecars) come first: the handler must pick the application container by name.
    const sidecars = ((this.definitions.get(t.taskDefinition)?.containerDefinitions as { name: string }[] | undefined) ?? [])
      .filter((c) => c.name !== t.container)
      .map((c) => ({ name: c.name, lastStatus: container.lastStatus, ...(task.lastStatus === 'STOPPED' && 'exitCode' in container ? { exitCode: 'sidecarExitCode' in script ? script.sidecarExitCode : 0 } : {}) }));
    return { taskArn: t.arn, taskDefinitionArn: t.taskDefinition, startedBy: t.startedBy, createdAt: t.createdAt / 1000, containers: [...sidecars, container], overrides: t.overrides, ...task };
  }

  readonly api: Record<string, (b: any) => unknown> = {
    DescribeServices: (b) => {
      this.tick();
      const services = [];
      const failures = [];
      for (const name of b.services as string[]) {
        const s = this.services.get(name);
        if (s && b.cluster === 'production') services.push(this.describeService(s));
        else failures.push({ arn: arn('ecs', `service/${b.cluster}/${name}`), reason: 'MISSING' });
      }
      return { services, failures };
    },
    UpdateService: (b) => {
      this.tick();
      const s = this.service(b.cluster, b.service);
      const td = b.taskDefinition ? (this.definition(b.taskDefinition).taskDefinitionArn as string) : s.taskDefinition;
      if (td !== s.taskDefinition || b.forceNewDeployment) {
        for (const d of s.deployments) d.status = 'ACTIVE';
        s.deployments.unshift(this.deployment(td, s.desiredCount, this.nextRollouts.get(s.name) ?? 'succeed'));
        this.nextRollouts.delete(s.name);
        s.taskDefinition = td;
      }
      return { service: this.describeService(s) };
    },
    DescribeTaskDefinition: (b) => {
      const { tags, ...def } = this.definition(b.taskDefinition);
      return { taskDefinition: def, ...(b.include?.includes('TAGS') ? { tags } : {}) };
    },
    RegisterTaskDefinition: (b) => {
      for (const key of ['taskDefinitionArn', 'revision', 'status', 'compatibilities', 'registeredAt']) {
        if (key in b) throw new AwsError('ClientException', `Unexpected field ${key}`);
      }
      const td = this.register(b);
      const { tags, ...def } = this.definitions.get(td)!;
      return { taskDefinition: def, tags };
    },
    RunTask: (b) => {
      this.tick();
      if (b.clientToken && this.tokens.has(b.clientToken)) return { tasks: [this.describeTask(this.tasks.get(this.tokens.get(b.clientToken)!)!)], failures: [] };
      if (JSON.stringify(b.overrides ?? {}).length > 8192) throw new AwsError('InvalidParameterException', 'Container Overrides length must be at most 8192');
      const def = this.definition(b.taskDefinition);
      const container = b.overrides?.containerOverrides?.[0]?.name ?? (def.containerDefinitions as { name: string }[])[0].name;
      const taskArn = arn('ecs', `task/production/${(this.ids++).toString(16)}`);
      const script = this.nextTasks.shift() ?? { exitCode: 0 };
      this.tasks.set(taskArn, { arn: taskArn, taskDefinition: def.taskDefinitionArn as string, startedBy: b.startedBy, createdAt: this.clock.now, script, container, overrides: b.overrides });
      if (b.clientToken) this.tokens.set(b.clientToken, taskArn);
      const logging = (def.containerDefinitions as any[]).find((c) => c.name === container)?.logConfiguration?.options;
      if (logging && 'logs' in script && script.logs) this.logs.put(logging['awslogs-group'], `${logging['awslogs-stream-prefix']}/${container}/${taskArn.split('/').pop()}`, script.logs);
      return { tasks: [this.describeTask(this.tasks.get(taskArn)!)], failures: [] };
    },
    StopTask: (b) => {
      const t = this.tasks.get(b.task);
      if (!t || b.cluster !== 'production') throw new AwsError('InvalidParameterException', 'The referenced task was not found.');
      t.stopped ??= { at: this.clock.now, reason: b.reason ?? 'Task stopped by user' };
      return { task: this.describeTask(t) };
    },
    DescribeTasks: (b) => {
      this.tick();
      const found = (b.tasks as string[]).map((a) => this.tasks.get(a));
      return {
        tasks: found.filter((t): t is Task => !!t).map((t) => this.describeTask(t)),
        failures: (b.tasks as string[]).filter((a) => !this.tasks.has(a)).map((a) => ({ arn: a, reason: 'MISSING' })),
      };
    },
    ListTasks: (b) => ({
      taskArns: [...this.tasks.values()]
        .filter((t) => (!b.startedBy || t.startedBy === b.startedBy) && (b.desiredStatus !== 'STOPPED' || (this.describeTask(t) as { lastStatus?: string }).lastStatus === 'STOPPED'))
        .map((t) => t.arn),
    }),
  };
}

export class FakeLogs {
  private readonly streams = new Map<string, string[]>();
  put(group: string, stream: string, lines: string[]) {
    this.streams.set(`${group}|${stream}`, lines);
  }
  readonly api: Record<string, (b: any) => unknown> = {
    GetLogEvents: (b) => {
      const lines = this.streams.get(`${b.logGroupName}|${b.logStreamName}`);
      if (!lines) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
      return { events: lines.slice(-(b.limit ?? 10000)).map((message, i) => ({ timestamp: i, message, ingestionTime: i })) };
    },
  };
}

/** Parameter Store keeps the 100 newest versions of a parameter (PutParameter deletes the oldest, unless it is labelled). */
export const SSM_MAX_VERSIONS = 100;

export class FakeSsm {
  /** Name → its versions, oldest first (a version number stays with its value: deleting the oldest renumbers nothing). */
  readonly parameters = new Map<string, { version: number; value: string; tier?: string; labels: string[] }[]>();
  constructor(private readonly clock: FakeClock) {}
  set(name: string, value: string) {
    this.write(name, value);
  }
  private write(name: string, value: string, tier?: string): number {
    const versions = this.parameters.get(name) ?? [];
    if (versions.length >= SSM_MAX_VERSIONS) {
      const oldest = versions[0];
      // The message of the real service (SSM API reference, ParameterMaxVersionLimitExceeded).
      if (oldest.labels.length) {
        throw new AwsError(
          'ParameterMaxVersionLimitExceeded',
          `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
        );
      }
      versions.shift();
    }
    const version = (versions[versions.length - 1]?.version ?? 0) + 1;
    this.parameters.set(name, [...versions, { version, value, tier, labels: [] }]);
    return version;
  }
  readonly api: Record<string, (b: any) => unknown> = {
    GetParameter: (b) => {
      const [name, selector] = (b.Name as string).split(':');
      const versions = this.parameters.get(name);
      const v = selector ? versions?.find((x) => (/^\d+$/.test(selector) ? x.version === Number(selector) : x.labels.includes(selector))) : versions?.[versions.length - 1];
      if (!v) throw new AwsError(selector && versions ? 'ParameterVersionNotFound' : 'ParameterNotFound', '');
      return { Parameter: { Name: name, Value: v.value, Type: 'String', Version: v.version, LastModifiedDate: this.clock.now / 1000 } };
    },
    PutParameter: (b) => {
      if (this.parameters.has(b.Name) && !b.Overwrite) throw new AwsError('ParameterAlreadyExists', 'The parameter already exists.');
      if ((b.Value as string).length > 8192 || ((b.Value as string).length > 4096 && b.Tier === 'Standard')) throw new AwsError('ValidationException', 'value too long');
      return { Version: this.write(b.Name, b.Value, b.Tier), Tier: (b.Value as string).length > 4096 ? 'Advanced' : 'Standard' };
    },
    LabelParameterVersion: (b) => {
      const versions = this.parameters.get(b.Name);
      if (!versions) throw new AwsError('ParameterNotFound', '');
      const target = versions.find((v) => v.version === b.ParameterVersion);
      if (!target) throw new AwsError('ParameterVersionNotFound', `Systems Manager could not find version ${b.ParameterVersion} of ${b.Name}.`);
      // A label names one version at a time: labelling moves it.
      for (const label of b.Labels as string[]) {
        versions.forEach((v) => (v.labels = v.labels.filter((l) => l !== label)));
        target.labels.push(label);
      }
      return { InvalidLabels: [], ParameterVersion: b.ParameterVersion };
    },
  };
}

export interface JobReport {
  readonly jobId: string;
  readonly kind: 'success' | 'failure';
  readonly body: any;
  /** When CodePipeline took it (the fake clock). */
  readonly at?: number;
}

/** The environment's own pipelines in the fake (what the stack passes as STEP_PIPELINES). */
export const PIPELINES = ['production-deploy', 'production-destructive', 'production-rollout-scheduler', 'production-maintenance-enable', 'production-maintenance-disable'];
/** The step handler's function in the fake, and the step table. */
export const FUNCTION_ARN = arn('lambda', 'function:step');
export const STEP_TABLE = 'production-steps';

export class FakeCodePipeline {
  readonly reports: JobReport[] = [];
  /** When each job was issued (the fake clock): an action execution's startTime. */
  private readonly issuedAt = new Map<string, number>();
  /** GetPipelineExecution, and what a test sets of an execution (status, type, source revisions). */
  readonly executions = new FakeExecutions((pipeline, executionId) => this.actionExecutions(pipeline, executionId));
  constructor(private readonly clock = new FakeClock()) {}
  /** The jobs CodePipeline issued (GetJobDetails answers), by id. */
  readonly jobs = new Map<string, ReturnType<typeof jobDetails>>();
  readonly api: Record<string, (b: any) => unknown> = {
    GetJobDetails: (b) => ({ jobDetails: this.job(b.jobId) }),
    ListActionExecutions: (b) => this.actionExecutions(b.pipelineName, b.filter?.pipelineExecutionId),
    GetPipelineExecution: (b) => this.executions.get(b),
    PutJobSuccessResult: (b) => this.report('success', b),
    PutJobFailureResult: (b) => this.report('failure', b),
  };

  /** Action executions CodePipeline ended without a report (its time limit, a stop with abandon), by action execution id. */
  readonly ended = new Map<string, 'Succeeded' | 'Failed' | 'Abandoned'>();

  /**
   * ListActionExecutions from the issued jobs (one action execution per actionExecutionId, its
   * continuations included): over once a job of it reported failure or success without a
   * continuation token, or once the test ended it; InProgress until then. One page.
   */
  private actionExecutions(pipeline: string, executionId?: string) {
    const jobs = [...this.jobs.values()].filter((j) => j.data.pipelineContext.pipelineName === pipeline);
    if (!jobs.length && !PIPELINES.includes(pipeline)) throw new AwsError('PipelineNotFoundException', `Pipeline ${pipeline} not found`);
    const ofExecution = jobs.filter((j) => !executionId || j.data.pipelineContext.pipelineExecutionId === executionId);
    if (executionId && !ofExecution.length) throw new AwsError('PipelineExecutionNotFoundException', `Pipeline execution ${executionId} not found in pipeline ${pipeline}`);
    const byAction = new Map<string, typeof jobs>();
    for (const j of ofExecution) {
      const id = j.data.pipelineContext.action.actionExecutionId;
      byAction.set(id, [...(byAction.get(id) ?? []), j]);
    }
    return {
      actionExecutionDetails: [...byAction].map(([actionExecutionId, ofAction]) => {
        const final = this.reports.find((r) => ofAction.some((j) => j.id === r.jobId) && (r.kind === 'failure' || !r.body.continuationToken));
        const { pipelineContext: ctx, actionTypeId, actionConfiguration } = ofAction[0].data;
        const times = ofAction.map((j) => this.issuedAt.get(j.id) ?? 0);
        const last = final?.at ?? Math.max(...times, ...this.reports.filter((r) => ofAction.some((j) => j.id === r.jobId)).map((r) => r.at ?? 0));
        return {
          pipelineExecutionId: ctx.pipelineExecutionId,
          actionExecutionId,
          stageName: ctx.stage.name,
          actionName: ctx.action.name,
          status: this.ended.get(actionExecutionId) ?? (final ? (final.kind === 'success' ? 'Succeeded' : 'Failed') : 'InProgress'),
          input: { actionTypeId, configuration: actionConfiguration.configuration },
          startTime: Math.min(...times) / 1000,
          lastUpdateTime: last / 1000,
          ...(final?.kind === 'success' ? { output: { outputVariables: final.body.outputVariables ?? {}, executionResult: { externalExecutionSummary: final.body.executionDetails?.summary } } } : {}),
        };
      }),
    };
  }

  /** Issues a job: from now on GetJobDetails knows it. */
  issue(job: JobOptions): ReturnType<typeof jobDetails> {
    const details = jobDetails(job);
    this.jobs.set(details.id, details);
    if (!this.issuedAt.has(details.id)) this.issuedAt.set(details.id, this.clock.now);
    return details;
  }

  private job(id: string) {
    const job = this.jobs.get(id);
    if (!job) throw new AwsError('JobNotFoundException', 'The job was specified in an invalid format or cannot be found.');
    return job;
  }

  private report(kind: JobReport['kind'], body: any) {
    this.job(body.jobId);
    if (this.reports.some((r) => r.jobId === body.jobId)) throw new AwsError('InvalidJobStateException', `Job ${body.jobId} is not in progress`);
    this.reports.push({ jobId: body.jobId, kind, body, at: this.clock.now });
    return {};
  }
}

type Handler = (event: CodePipelineEvent, context: { getRemainingTimeInMillis(): number }) => Promise<void>;

export class FakeAws extends LoopbackServer {
  readonly clock = new FakeClock();
  readonly logs = new FakeLogs();
  readonly ecs = new FakeEcs(this.clock, this.logs);
  /** ECS native blue/green deployments and lifecycle hooks (ecs-bluegreen.ts), for the services it enables. */
  readonly bluegreen = new FakeEcsBlueGreen(this.clock, this.ecs);
  readonly ssm = new FakeSsm(this.clock);
  readonly codepipeline = new FakeCodePipeline(this.clock);
  readonly ecr = new FakeEcr(this.clock);
  readonly secretsManager = new FakeSecretsManager();
  readonly dynamodb = new FakeDynamoDb().createTable(STEP_TABLE);
  readonly elbv2 = new FakeElbv2();
  readonly objects = new Map<string, Buffer>();
  /** Versioned buckets (the S3 source); other buckets are plain `objects`. */
  readonly versionedS3 = new FakeVersionedS3(this.clock);
  /** Every API call: `ECS.RunTask`, `SSM.PutParameter`, `S3.GET`, … with its body. */
  readonly requests: { op: string; body: any }[] = [];
  private readonly faults: { op: string; error: AwsError; times: number }[] = [];

  /** The next `times` calls of `op` (e.g. `ECS.UpdateService`) fail with this error. */
  fail(op: string, code: string, message = code, times = 1, status = 400) {
    this.faults.push({ op, error: new AwsError(code, message, status), times });
  }

  calls(op: string): any[] {
    return this.requests.filter((r) => r.op === op).map((r) => r.body);
  }

  /** Runtime deps: clients on this fake, sleep and now on the clock. */
  deps(): RuntimeDeps {
    return {
      sleep: async (ms) => this.clock.advance(ms),
      now: () => this.clock.now,
      clientConfig: { endpoint: this.url, region: REGION, forcePathStyle: true, maxAttempts: 3 },
      table: STEP_TABLE,
      pipelines: PIPELINES,
      functionArn: FUNCTION_ARN,
    };
  }

  /** A Lambda context whose remaining time runs down with the clock. */
  context(ms = 300_000) {
    const deadline = this.clock.now + ms;
    return { getRemainingTimeInMillis: () => deadline - this.clock.now, functionName: 'step', invokedFunctionArn: FUNCTION_ARN };
  }

  /** A Lambda context whose remaining time runs down with the wall clock (a handler talking to a real server). */
  realTimeContext(ms = 300_000) {
    const deadline = Date.now() + ms;
    return { getRemainingTimeInMillis: () => deadline - Date.now(), functionName: 'step', invokedFunctionArn: FUNCTION_ARN };
  }

  /**
   * Runs a job the way CodePipeline does: invoke, and while the handler answers with a
   * continuation token, invoke again (a new job id) 30 s later with the token.
   */
  /**
   * The event of a job this fake's CodePipeline issued. Tests build every handler invocation
   * through this (or runJob): handlers corroborate their job with CodePipeline.
   */
  event(job: JobOptions): CodePipelineEvent {
    this.codepipeline.issue(job);
    return jobEvent(job);
  }

  async runJob(handler: Handler, job: JobOptions, options: { lambdaMs?: number; maxInvocations?: number; wait?: (ms: number) => Promise<void>; realTime?: boolean } = {}) {
    let event = this.event(job);
    const baseId = event['CodePipeline.job'].id;
    for (let n = 1; n <= (options.maxInvocations ?? 200); n++) {
      const jobId = event['CodePipeline.job'].id;
      await handler(event, options.realTime ? this.realTimeContext(options.lambdaMs) : this.context(options.lambdaMs));
      const report = this.codepipeline.reports.find((r) => r.jobId === jobId);
      if (!report) throw new Error(`invocation ${n} of job ${jobId} reported nothing`);
      const token = report.body.continuationToken;
      if (report.kind === 'failure' || !token) return { report, invocations: n, tokens: this.codepipeline.reports.filter((r) => r.jobId.startsWith(baseId)).map((r) => r.body.continuationToken).filter(Boolean) as string[] };
      if (options.wait) await options.wait(30_000);
      else this.clock.advance(30_000);
      // A continuation is a new job of the same action execution.
      const context = this.codepipeline.jobs.get(baseId)!.data.pipelineContext;
      event = this.event({ ...job, id: `${baseId.slice(0, 28)}-c${n}`, continuationToken: token, pipelineExecutionId: context.pipelineExecutionId, actionExecutionId: context.action.actionExecutionId });
    }
    throw new Error('job never finished');
  }

  /** The states the continuation tokens carried (decoded; inline tokens only). */
  static states(tokens: string[]): unknown[] {
    return tokens.map((t) => decodeToken(t));
  }

  /** The state a token carries, inline or stored in the step table (a pointer), for the job `jobId` received it in. */
  tokenState(token: string, jobId: string): unknown {
    const writer = tokenPointer(token);
    if (writer === undefined) return decodeToken(token);
    const ctx = this.codepipeline.jobs.get(jobId)!.data.pipelineContext;
    const job: VerifiedJob = { id: jobId, pipelineName: ctx.pipelineName, pipelineExecutionId: ctx.pipelineExecutionId, stageName: ctx.stage.name, actionName: ctx.action.name };
    const item = this.dynamodb.tables.get(STEP_TABLE)!.get(stateKey(job, writer));
    return item && JSON.parse(item.value.S!);
  }

  protected async serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    // Elastic Load Balancing v2 speaks AWS Query: a form-encoded POST, an XML answer.
    if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return this.elbv2Request(raw.toString('utf8'), res);
    const target = req.headers['x-amz-target'] as string | undefined;
    const [prefix, action] = target ? target.split('.') : ['S3', req.method!];
    const service = { AmazonEC2ContainerServiceV20141113: 'ECS', AmazonSSM: 'SSM', Logs_20140328: 'Logs', CodePipeline_20150709: 'CodePipeline', AmazonEC2ContainerRegistry_V20150921: 'ECR', DynamoDB_20120810: 'DynamoDB', secretsmanager: 'SecretsManager', S3: 'S3' }[prefix] ?? prefix;
    const op = `${service}.${action}`;
    const body = target ? JSON.parse(raw.toString() || '{}') : { path: decodeURIComponent(req.url!.split('?')[0]), bytes: raw.length };
    this.requests.push({ op, body });
    try {
      const fault = this.faults.find((f) => f.op === op && f.times > 0);
      if (fault) {
        fault.times--;
        throw fault.error;
      }
      if (service === 'S3' && this.versionedS3.handles(req.url!)) return this.versionedS3.serve(req.method!, req.url!, res);
      if (service === 'S3') return this.s3(req.method!, body.path, raw, res, req.url!);
      const api = { ECS: this.ecs.api, SSM: this.ssm.api, Logs: this.logs.api, CodePipeline: this.codepipeline.api, ECR: this.ecr.api, DynamoDB: this.dynamodb.api, SecretsManager: this.secretsManager.api }[service];
      const fn = api?.[action];
      if (!fn) throw new AwsError('UnknownOperationException', `fake has no ${op}`);
      const out = fn(body);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(out));
    } catch (err) {
      if (err instanceof DynamoDbError) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${err.code}`, message: err.message, ...err.extra }));
        return;
      }
      const e = err instanceof AwsError ? err : new AwsError('InternalFailure', String(err), 500);
      if (service === 'S3') {
        res.writeHead(e.status, { 'content-type': 'application/xml' }).end(`<Error><Code>${e.code}</Code><Message>${e.message}</Message></Error>`);
      } else {
        res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: e.code, message: e.message }));
      }
    }
  }

  private elbv2Request(body: string, res: ServerResponse) {
    const input = parseQuery(body);
    this.requests.push({ op: `ELBv2.${input.Action}`, body: input });
    try {
      const xml = this.elbv2.handle(body);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalFailure', String(err), 500);
      res.writeHead(e.status, { 'content-type': 'text/xml' }).end(`<ErrorResponse><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${e.message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);
    }
  }

  private s3(method: string, path: string, raw: Buffer, res: ServerResponse, url: string) {
    const query = new URLSearchParams(url.split('?')[1] ?? '');
    // ListObjectsV2 (`GET /<bucket>?list-type=2&prefix=…`): keys in UTF-8 order, at most max-keys (S3's default 1000).
    if (method === 'GET' && query.get('list-type') === '2') {
      const bucket = path.replace(/^\/|\/$/g, '');
      const prefix = query.get('prefix') ?? '';
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(`/${bucket}/`)).map((k) => k.slice(bucket.length + 2)).filter((k) => k.startsWith(prefix)).sort();
      const shown = keys.slice(0, Number(query.get('max-keys') ?? 1000));
      const contents = shown.map((k) => `<Contents><Key>${k}</Key><Size>${this.objects.get(`/${bucket}/${k}`)!.length}</Size></Contents>`).join('');
      res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${shown.length}</KeyCount><MaxKeys>${query.get('max-keys') ?? 1000}</MaxKeys><IsTruncated>${shown.length < keys.length}</IsTruncated>${contents}</ListBucketResult>`);
      return;
    }
    if (method === 'PUT') {
      this.objects.set(path, raw);
      res.writeHead(200, { etag: '"etag"' }).end();
      return;
    }
    const object = this.objects.get(path);
    if (!object) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': object.length }).end(object);
  }
}
