/**
 * ECS's native blue/green deployments on the stateful fake ECS (issue 17), as the Amazon ECS
 * Developer Guide and API reference describe them:
 * - a service with `deploymentConfiguration.strategy: BLUE_GREEN` deploys through the lifecycle
 *   stages in order: PRE_SCALE_UP, SCALE_UP (green tasks start; failing ones trip the circuit
 *   breaker), POST_SCALE_UP, TEST_TRAFFIC_SHIFT (the test listener rule to green),
 *   POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT (the production listener rule to green),
 *   POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME (`bakeTimeInMinutes`, blue still running), CLEAN_UP;
 *   then SUCCESSFUL;
 * - at every stage a lifecycle hook is registered for, ECS invokes the hook Lambda with
 *   {executionId, lifecycleStage, resourceArn, executionDetails} and waits for its answer:
 *   SUCCEEDED moves on, IN_PROGRESS calls it again after `callBackDelay` seconds (default 30),
 *   FAILED, an answer without a valid hookStatus, or an error rolls the deployment back;
 * - a rollback (circuit breaker, alarm, hook, StopServiceDeployment ROLLBACK) sends both
 *   listeners back to blue at once and ends ROLLBACK_SUCCESSFUL;
 * - ListServiceDeployments, DescribeServiceDeployments (at most 20 ARNs), StopServiceDeployment
 *   (ROLLBACK; ConflictException once a deployment is over) and DescribeServiceRevisions.
 *
 * Time moves only through `advance` (a discrete-event loop over the fake clock): the hook
 * invocations due at the same moment run concurrently, and each sees the clock at its moment.
 */
import { ACCOUNT, AwsError, REGION, type FakeClock } from './core';
import type { FakeEcs } from './ecs';

const arn = (resource: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:${resource}`;

export const BLUE_GREEN_STAGES = [
  'PRE_SCALE_UP',
  'SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
  'BAKE_TIME',
  'CLEAN_UP',
] as const;
type Stage = (typeof BLUE_GREEN_STAGES)[number];

/** Stage durations without a hook (SCALE_UP and BAKE_TIME come from the service). */
const STAGE_MS: Partial<Record<Stage, number>> = { PRE_SCALE_UP: 1000, POST_SCALE_UP: 1000, TEST_TRAFFIC_SHIFT: 2000, POST_TEST_TRAFFIC_SHIFT: 1000, PRODUCTION_TRAFFIC_SHIFT: 2000, POST_PRODUCTION_TRAFFIC_SHIFT: 1000, CLEAN_UP: 10_000 };
/** Blue still runs: a rollback only moves the listener rules back. */
const ROLLBACK_MS = 5000;
const DEFAULT_CALLBACK_S = 30;
/**
 * ECS calls a hook back after `callBackDelay` seconds, promising no precision: each callback here
 * lands up to this much later (a fixed pseudo-random sequence, so runs repeat).
 */
export const CALLBACK_JITTER_MS = 1500;

export interface BlueGreenSpec {
  /** The hook function ECS invokes, and its stages. */
  readonly hook?: { readonly arn: string; readonly stages: readonly string[]; readonly roleArn?: string };
  /** @default 2 */
  readonly bakeMinutes?: number;
  /** How long the green tasks take to start. @default 60 s */
  readonly scaleUpMs?: number;
  /** Parts of the set-up left out (a service not ready for the cutover). */
  readonly without?: readonly ('strategy' | 'alternateTargetGroup' | 'testListenerRule' | 'hook')[];
}

type Status = 'PENDING' | 'IN_PROGRESS' | 'SUCCESSFUL' | 'ROLLBACK_REQUESTED' | 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL';

export interface BgDeployment {
  arn: string;
  service: string;
  createdAt: number;
  source: { revision: string; taskDefinition: string };
  target: { revision: string; taskDefinition: string };
  status: Status;
  statusReason?: string;
  stage: Stage;
  /** When this deployment next moves (a stage ends, or its hook is called again). */
  nextAt?: number;
  /** The hook execution of the current stage (one id for all its callbacks). */
  hookExecution?: string;
  green: 'healthy' | 'failing';
  /** Which revision each listener sends traffic to. */
  production: 'blue' | 'green';
  test: 'blue' | 'green';
  /** When production traffic moved to green. */
  shiftedAt?: number;
  finishedAt?: number;
  rollback?: { reason: string; startedAt: number };
  /** An alarm that goes off during the bake time. */
  alarm?: { name: string; at: number };
}

export interface HookInvocation {
  readonly at: number;
  readonly service: string;
  readonly stage: string;
  readonly answer: unknown;
}

type HookFunction = (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<unknown>;

export class FakeEcsBlueGreen {
  readonly deployments = new Map<string, BgDeployment>();
  private readonly specs = new Map<string, BlueGreenSpec>();
  private readonly revisions = new Map<string, { service: string; taskDefinition: string; createdAt: number }>();
  private readonly current = new Map<string, string>();
  private ids = 1000;
  private jitterSeed = 17;
  /** The Lambda ECS invokes as the hook (the test sets it). */
  hook?: HookFunction;
  readonly invocations: HookInvocation[] = [];
  /** How the next deployment's green tasks behave, by service. @default healthy */
  readonly nextGreen = new Map<string, 'healthy' | 'failing'>();
  /** Services whose next hook invocation ECS delivers twice, both in flight at once. */
  readonly duplicateNext = new Set<string>();
  /** Service → an alarm of its deployment that goes off this long into the bake time. */
  readonly alarmsDuringBake = new Map<string, { name: string; afterMs: number }>();

  constructor(private readonly clock: FakeClock, private readonly ecs: FakeEcs) {
    const original = { DescribeServices: ecs.api.DescribeServices, UpdateService: ecs.api.UpdateService };
    Object.assign(ecs.api, {
      DescribeServices: (b: any) => {
        const out = original.DescribeServices(b) as { services: Record<string, unknown>[] };
        for (const s of out.services) if (this.specs.has(s.serviceName as string)) Object.assign(s, this.configuration(s.serviceName as string));
        return out;
      },
      UpdateService: (b: any) => (this.specs.has(b.service) ? this.update(b) : original.UpdateService(b)),
      ListServiceDeployments: (b: any) => this.list(b),
      DescribeServiceDeployments: (b: any) => this.describeDeployments(b),
      StopServiceDeployment: (b: any) => this.stop(b),
      DescribeServiceRevisions: (b: any) => ({
        serviceRevisions: (b.serviceRevisionArns as string[]).flatMap((a) => {
          const r = this.revisions.get(a);
          return r ? [{ serviceRevisionArn: a, serviceArn: arn(`service/production/${r.service}`), clusterArn: arn('cluster/production'), taskDefinition: r.taskDefinition, createdAt: r.createdAt / 1000 }] : [];
        }),
        failures: (b.serviceRevisionArns as string[]).filter((a) => !this.revisions.has(a)).map((a) => ({ arn: a, reason: 'MISSING' })),
      }),
    });
  }

  /** Makes an existing fake service a blue/green one. */
  enable(service: string, spec: BlueGreenSpec): void {
    const s = this.ecs.services.get(service);
    if (!s) throw new Error(`no fake service ${service}`);
    this.specs.set(service, spec);
    this.current.set(service, this.revision(service, s.taskDefinition));
  }

  private revision(service: string, taskDefinition: string): string {
    const id = arn(`service-revision/production/${service}/${this.ids++}`);
    this.revisions.set(id, { service, taskDefinition, createdAt: this.clock.now });
    return id;
  }

  private configuration(service: string) {
    const spec = this.specs.get(service)!;
    const without = new Set(spec.without ?? []);
    const rule = (kind: string) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/shop/1/${kind}/${service}`;
    return {
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        ...(without.has('strategy') ? { strategy: 'ROLLING' } : { strategy: 'BLUE_GREEN', bakeTimeInMinutes: spec.bakeMinutes ?? 2 }),
        ...(spec.hook && !without.has('hook')
          ? { lifecycleHooks: [{ hookTargetArn: spec.hook.arn, roleArn: spec.hook.roleArn ?? `arn:aws:iam::${ACCOUNT}:role/ecs-invokes-cutover-hook`, lifecycleStages: spec.hook.stages }] }
          : {}),
      },
      loadBalancers: [
        {
          targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${service}-blue/1`,
          containerName: service,
          containerPort: 80,
          advancedConfiguration: {
            ...(without.has('alternateTargetGroup') ? {} : { alternateTargetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${service}-green/2` }),
            productionListenerRule: rule('prod'),
            ...(without.has('testListenerRule') ? {} : { testListenerRule: rule('test') }),
            roleArn: `arn:aws:iam::${ACCOUNT}:role/ecs-infrastructure-for-load-balancers`,
          },
        },
      ],
    };
  }

  private update(b: any) {
    const s = this.ecs.services.get(b.service);
    if (!s || b.cluster !== 'production') throw new AwsError('ServiceNotFoundException', 'Service not found.');
    const described = (this.ecs.api.DescribeTaskDefinition({ taskDefinition: b.taskDefinition ?? s.taskDefinition }) as { taskDefinition: { taskDefinitionArn: string } }).taskDefinition;
    const td = described.taskDefinitionArn;
    const moving = [...this.deployments.values()].some((d) => d.service === b.service && ['PENDING', 'IN_PROGRESS', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'].includes(d.status));
    if (moving) throw new AwsError('InvalidParameterException', `A deployment is in progress for service ${b.service}: wait for it to finish or stop it.`);
    if (td !== s.taskDefinition || b.forceNewDeployment) {
      const d: BgDeployment = {
        arn: arn(`service-deployment/production/${b.service}/${(this.ids++).toString(36)}`),
        service: b.service,
        createdAt: this.clock.now,
        source: { revision: this.current.get(b.service)!, taskDefinition: s.taskDefinition },
        target: { revision: this.revision(b.service, td), taskDefinition: td },
        status: 'IN_PROGRESS',
        stage: 'PRE_SCALE_UP',
        green: this.nextGreen.get(b.service) ?? 'healthy',
        production: 'blue',
        test: 'blue',
      };
      this.nextGreen.delete(b.service);
      this.deployments.set(d.arn, d);
      this.enter(d, 'PRE_SCALE_UP');
    }
    return (this.ecs.api.DescribeServices({ cluster: b.cluster, services: [b.service] }) as { services: unknown[] }).services[0];
  }

  private hookFor(d: BgDeployment, stage: Stage) {
    const hook = (this.configuration(d.service).deploymentConfiguration as { lifecycleHooks?: { lifecycleStages: string[] }[] }).lifecycleHooks?.[0];
    return hook?.lifecycleStages.includes(stage) ? hook : undefined;
  }

  private enter(d: BgDeployment, stage: Stage) {
    d.stage = stage;
    d.hookExecution = undefined;
    if (stage === 'PRODUCTION_TRAFFIC_SHIFT') {
      d.production = 'green';
      d.shiftedAt = this.clock.now;
    }
    if (this.hookFor(d, stage)) {
      d.hookExecution = `${(this.ids++).toString(16).padStart(8, '0')}-0000-4000-8000-${this.clock.now.toString(16).padStart(12, '0').slice(-12)}`;
      d.nextAt = this.clock.now;
      return;
    }
    const spec = this.specs.get(d.service)!;
    d.nextAt = this.clock.now + (stage === 'SCALE_UP' ? spec.scaleUpMs ?? 60_000 : stage === 'BAKE_TIME' ? (spec.bakeMinutes ?? 2) * 60_000 : STAGE_MS[stage] ?? 1000);
    const alarm = stage === 'BAKE_TIME' && this.alarmsDuringBake.get(d.service);
    if (alarm && alarm.afterMs < d.nextAt - this.clock.now) {
      d.alarm = { name: alarm.name, at: this.clock.now + alarm.afterMs };
      d.nextAt = d.alarm.at;
    }
  }

  private leave(d: BgDeployment) {
    if (d.stage === 'SCALE_UP' && d.green === 'failing') return this.rollBack(d, 'ECS deployment circuit breaker: tasks failed to start.');
    if (d.stage === 'TEST_TRAFFIC_SHIFT') d.test = 'green';
    const next = BLUE_GREEN_STAGES[BLUE_GREEN_STAGES.indexOf(d.stage) + 1];
    if (next) return this.enter(d, next);
    // CLEAN_UP done: blue scaled to zero, green is the service.
    d.status = 'SUCCESSFUL';
    d.finishedAt = this.clock.now;
    d.nextAt = undefined;
    const s = this.ecs.services.get(d.service)!;
    s.taskDefinition = d.target.taskDefinition;
    s.deployments = [{ ...s.deployments[0], id: `ecs-svc/${this.ids++}`, status: 'PRIMARY', taskDefinition: d.target.taskDefinition, rolloutState: 'COMPLETED', createdAt: d.createdAt, runningCount: s.desiredCount, desiredCount: s.desiredCount }];
    this.current.set(d.service, d.target.revision);
  }

  private rollBack(d: BgDeployment, reason: string) {
    d.status = 'ROLLBACK_IN_PROGRESS';
    d.statusReason = reason;
    d.rollback = { reason, startedAt: this.clock.now };
    d.production = 'blue';
    d.test = 'blue';
    d.hookExecution = undefined;
    d.nextAt = this.clock.now + ROLLBACK_MS;
  }

  /** ECS invokes the hook (twice at once when asked to) and acts on the answer. */
  private async invoke(d: BgDeployment) {
    const event = {
      executionId: d.hookExecution,
      lifecycleStage: d.stage,
      resourceArn: d.arn,
      executionDetails: { serviceArn: arn(`service/production/${d.service}`), targetServiceRevisionArn: d.target.revision, testTrafficWeights: {}, productionTrafficWeights: {} },
    };
    const deliveries = this.duplicateNext.delete(d.service) ? 2 : 1;
    const stage = d.stage;
    const answers = await Promise.all(
      Array.from({ length: deliveries }, async () => {
        let answer: unknown;
        try {
          answer = this.hook ? await this.hook(structuredClone(event), { getRemainingTimeInMillis: () => 60_000 }) : { error: 'no hook function' };
        } catch (err) {
          answer = { error: String(err) };
        }
        this.invocations.push({ at: this.clock.now, service: d.service, stage, answer });
        return answer as { hookStatus?: string; callBackDelay?: number; error?: string };
      }),
    );
    // Something else (a StopServiceDeployment) moved the deployment while the hook ran.
    if (d.status !== 'IN_PROGRESS' || d.stage !== stage) return;
    const answer = answers[0];
    if (answer?.hookStatus === 'SUCCEEDED') this.leave(d);
    else if (answer?.hookStatus === 'IN_PROGRESS') d.nextAt = this.clock.now + (answer.callBackDelay ?? DEFAULT_CALLBACK_S) * 1000 + this.jitter();
    else this.rollBack(d, `Lifecycle hook ${stage} ${answer?.hookStatus === 'FAILED' ? 'returned FAILED' : `did not return a valid hookStatus (${answer?.error ?? JSON.stringify(answer)})`}.`);
  }

  private jitter(): number {
    this.jitterSeed = (this.jitterSeed * 1103515245 + 12345) % 2 ** 31;
    return this.jitterSeed % (CALLBACK_JITTER_MS + 1);
  }

  private async step(d: BgDeployment) {
    d.nextAt = undefined;
    if (d.status === 'ROLLBACK_IN_PROGRESS') {
      d.status = 'ROLLBACK_SUCCESSFUL';
      d.finishedAt = this.clock.now;
      return;
    }
    if (d.hookExecution) return this.invoke(d);
    if (d.alarm && d.stage === 'BAKE_TIME') return this.rollBack(d, `CloudWatch alarm(s) ${d.alarm.name} in ALARM state.`);
    this.leave(d);
  }

  /** Moves time forward by `ms`, every deployment moving (and every hook called) at its own moment. */
  async advance(ms: number): Promise<void> {
    const until = this.clock.now + ms;
    for (;;) {
      const due = [...this.deployments.values()].filter((d) => d.nextAt !== undefined && d.nextAt <= until);
      if (!due.length) break;
      const at = Math.min(...due.map((d) => d.nextAt!));
      if (at > this.clock.now) this.clock.advance(at - this.clock.now);
      await Promise.all(due.filter((d) => d.nextAt! <= this.clock.now).map((d) => this.step(d)));
    }
    if (until > this.clock.now) this.clock.advance(until - this.clock.now);
  }

  latest(service: string): BgDeployment | undefined {
    return [...this.deployments.values()].filter((d) => d.service === service).pop();
  }

  private list(b: any) {
    if (b.cluster !== 'production') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    const after = b.createdAt?.after !== undefined ? b.createdAt.after * 1000 : -Infinity;
    const items = [...this.deployments.values()]
      .filter((d) => d.service === b.service && d.createdAt >= after && (!b.status || b.status.includes(d.status)))
      .sort((x, y) => y.createdAt - x.createdAt);
    return { serviceDeployments: items.map((d) => ({ ...this.brief(d), targetServiceRevisionArn: d.target.revision })) };
  }

  /** What ListServiceDeployments and DescribeServiceDeployments both show of a deployment. */
  private brief(d: BgDeployment) {
    return {
      serviceDeploymentArn: d.arn,
      serviceArn: arn(`service/production/${d.service}`),
      clusterArn: arn('cluster/production'),
      createdAt: d.createdAt / 1000,
      startedAt: d.createdAt / 1000,
      ...(d.finishedAt ? { finishedAt: d.finishedAt / 1000 } : {}),
      status: d.status,
      ...(d.statusReason ? { statusReason: d.statusReason } : {}),
    };
  }

  private describeDeployments(b: any) {
    const arns = b.serviceDeploymentArns as string[];
    if (!arns?.length || arns.length > 20) throw new AwsError('InvalidParameterException', 'serviceDeploymentArns must contain 1 to 20 ARNs.');
    return {
      serviceDeployments: arns.flatMap((a) => {
        const d = this.deployments.get(a);
        if (!d) return [];
        return [
          {
            ...this.brief(d),
            updatedAt: this.clock.now / 1000,
            sourceServiceRevisions: [{ arn: d.source.revision, requestedTaskCount: 2, runningTaskCount: d.status === 'SUCCESSFUL' ? 0 : 2, requestedProductionTrafficWeight: d.production === 'blue' ? 100 : 0, requestedTestTrafficWeight: d.test === 'blue' ? 100 : 0 }],
            targetServiceRevision: { arn: d.target.revision, requestedTaskCount: 2, runningTaskCount: d.stage === 'PRE_SCALE_UP' || d.green === 'failing' ? 0 : 2, requestedProductionTrafficWeight: d.production === 'green' ? 100 : 0, requestedTestTrafficWeight: d.test === 'green' ? 100 : 0 },
            lifecycleStage: d.stage,
            ...(d.rollback ? { rollback: { reason: d.rollback.reason, startedAt: d.rollback.startedAt / 1000, serviceRevisionArn: d.source.revision } } : {}),
          },
        ];
      }),
      failures: arns.filter((a) => !this.deployments.has(a)).map((a) => ({ arn: a, reason: 'MISSING' })),
    };
  }

  private stop(b: any) {
    const d = this.deployments.get(b.serviceDeploymentArn);
    if (!d) throw new AwsError('ServiceDeploymentNotFoundException', `The service deployment ${b.serviceDeploymentArn} does not exist.`);
    if (b.stopType && b.stopType !== 'ROLLBACK') throw new AwsError('InvalidParameterException', `stopType ${b.stopType} is not supported.`);
    if (d.status === 'IN_PROGRESS' || d.status === 'PENDING') this.rollBack(d, 'Service deployment rolled back because of a StopServiceDeployment request.');
    else if (d.status !== 'ROLLBACK_IN_PROGRESS' && d.status !== 'ROLLBACK_REQUESTED') throw new AwsError('ConflictException', `The service deployment is ${d.status} and cannot be stopped.`);
    return { serviceDeploymentArn: d.arn };
  }
}
