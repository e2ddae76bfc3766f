/**
 * The simulated ECS (services, task definitions, tasks, deployments that roll out, fail and roll
 * back as the clock passes) and the CloudWatch Logs of its tasks.
 */
import { arn, AwsError, REGION, type FakeClock } from './core';

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
