import { Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { parseContract } from './contracts/issues';
import { DeploymentModel, MODEL_VERSION, type ModelService, type ServiceSelection } from './contracts/model';
import { DEFAULT_HOOKS, type SprykerPipelineProps, type SprykerServiceProps } from './config/types';
import { serviceName } from './config/validate';
import { CUTOVER_BARRIER_TIMEOUT, cutoverHookName, SprykerCutover } from './cutover';
import { StepHandler, type StepHandlerProps } from './step-handler';
import { ssmPaths } from './config/ssm-paths';

export { ssmPaths };


/** Standard-tier SSM values hold 4 KB; advanced 8 KB. */
const STANDARD_TIER_LIMIT = 4096;

interface ResolvedService extends ModelService {
  readonly family: string;
  /** Task and execution role ARNs of its task definitions; empty when unknown (the default pattern applies). */
  readonly roles: string[];
}

/**
 * The environment as the stages see it: the deployment model (written to SSM for the handlers),
 * ECS ARNs for least-privilege grants, and the factory for step handlers. Built once by
 * SprykerPipeline and handed to every stage.
 */
export class SprykerDeployment extends Construct {
  public readonly environment: string;
  public readonly model: DeploymentModel;
  /** The SSM parameter holding the model; every handler that reads it is granted read. */
  public readonly modelParameter: ssm.StringParameter;
  public readonly clusterName: string;
  private readonly resolved: { application: ResolvedService[]; scheduler: ResolvedService };
  private readonly logRetention?: logs.RetentionDays;
  private readonly shared = new Map<string, StepHandler>();
  /**
   * The step table: each job's exactly-once record (Powertools idempotency), the steps' durable
   * records (e.g. who switched maintenance on) and continuation states too large for a token.
   */
  public readonly stepTable: dynamodb.Table;
  private readonly pipelineNames: string[] = [];
  private readonly hookLogGroups: string[];
  private readonly hooks: { -readonly [K in keyof DeploymentModel['hooks']]: DeploymentModel['hooks'][K] };
  private readonly destructiveInstallHook: string;
  /** `cutover: 'together'`: the lifecycle hook of every application service's blue/green deployment (docs/cutover.md). */
  public readonly cutover?: SprykerCutover;

  constructor(scope: Construct, id: string, props: SprykerPipelineProps) {
    super(scope, id);
    this.environment = props.environment;
    this.logRetention = props.logRetention;
    this.clusterName = typeof props.cluster === 'string' ? props.cluster : props.cluster.clusterName;
    const resolve = (svc: SprykerServiceProps): ResolvedService => ({
      app: svc.application,
      service: serviceName(props.environment, svc),
      containers: svc.containerImages ?? { [svc.application]: svc.application },
      family: svc.taskDefinitionFamily ?? familyOf(svc) ?? serviceName(props.environment, svc),
      roles: rolesOf(svc),
    });
    // The frontend rolls out with the applications (Deploy_Spryker_services), as SCCOS's {env}-frontend does.
    const applications = [...props.services, ...(props.frontend ? [props.frontend] : [])];
    this.resolved = { application: applications.map(resolve), scheduler: resolve(props.scheduler) };
    const strip = ({ family: _family, roles: _roles, ...service }: ResolvedService): ModelService => service;
    const hooks = props.hooks ?? {};
    this.destructiveInstallHook = hooks.destructiveInstall ?? DEFAULT_HOOKS.destructiveInstall;
    this.hooks = {
      beforeDeploy: hooks.beforeDeploy ?? DEFAULT_HOOKS.beforeDeploy,
      install: hooks.install ?? DEFAULT_HOOKS.install,
      // Only an environment with a destructive pipeline carries the destructive install (enableDestructiveInstall).
      destructiveInstall: props.pipelineType === 'destructive' ? this.destructiveInstallHook : undefined,
      afterDeploy: hooks.afterDeploy,
    };
    this.model = {
      v: MODEL_VERSION,
      env: props.environment,
      cluster: this.clusterName,
      services: this.resolved.application.map(strip),
      scheduler: strip(this.resolved.scheduler),
      hookService: props.hookService ?? 'zed',
      hooks: this.hooks,
      ...(props.cutover === 'together' && {
        cutover: { hook: cutoverHookName(props.environment), barrierTimeoutMs: CUTOVER_BARRIER_TIMEOUT.toMilliseconds() },
      }),
    };
    this.stepTable = new dynamodb.Table(this, 'StepTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // Every item carries its expiry (2 days: longer than CodePipeline's 24-hour action limit).
      timeToLiveAttribute: 'expiration',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Cheap on a table of a few KB, and cdk-nag's DDB3 stays satisfied without an exception.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Only records that expire within 2 days: nothing worth keeping once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const hookService = props.services.find((s) => s.application === this.model.hookService);
    this.hookLogGroups = props.hookLogGroups ?? (hookService && awslogsGroupsOf(hookService)) ?? [`/ecs/${props.environment}-*`, `/${props.environment}/*`];
    // Rendered at synth: a destructive pipeline added later still enables its hook.
    const value = () => Stack.of(this).toJsonString(validModel(this.model));
    this.modelParameter = new ssm.StringParameter(this, 'Model', {
      parameterName: ssmPaths(props.environment).model,
      description: `Deployment model of ${props.environment} for the pipeline's step handlers (written by the stack)`,
      stringValue: Lazy.string({ produce: value }),
    });
    // Token-free JSON can be measured; a model with tokens (imported constructs) is sized by names we cannot see.
    (this.modelParameter.node.defaultChild as ssm.CfnParameter).tier = Lazy.string({
      produce: () => {
        const json = Stack.of(this).resolve(value());
        return typeof json === 'string' && json.length <= STANDARD_TIER_LIMIT ? ssm.ParameterTier.STANDARD : ssm.ParameterTier.ADVANCED;
      },
    });
    if (props.cutover === 'together') this.cutover = new SprykerCutover(this, 'Cutover', this, props);
  }

  /**
   * The environment has a destructive pipeline: the model carries its install hook. Without it the
   * model has none, so no other pipeline's Run_install can be made to run a destructive install.
   */
  public enableDestructiveInstall(): void {
    this.hooks.destructiveInstall = this.destructiveInstallHook;
  }

  /**
   * Registers a pipeline of this environment (the normal one and each companion): its step
   * handlers act only on jobs of registered pipelines. Pass the literal name (a reference to the
   * pipeline would make the handlers depend on the pipeline that invokes them: a cycle).
   */
  public registerPipeline(name: string): void {
    if (!this.pipelineNames.includes(name)) this.pipelineNames.push(name);
  }

  /** The registered pipeline names (complete once the app is built: companions come later). */
  public get pipelines(): readonly string[] {
    return this.pipelineNames;
  }

  /**
   * Lets the role read these CodePipeline actions on the environment's own pipelines only. The
   * list is complete only at synth (companions register later): uncached, and straight on the
   * role, since addToRolePolicy resolves a statement at once to look for wildcards (these ARNs
   * carry none).
   */
  public grantPipelineRead(role: iam.IRole, actions: readonly string[]): void {
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...actions],
        resources: Lazy.uncachedList({ produce: () => this.pipelineNames.map((p) => `arn:${stack.partition}:codepipeline:${stack.region}:${stack.account}:${p}`) }),
      }),
    );
  }

  /**
   * A step handler with the environment's log retention, the step table (read and write its
   * items, nothing else) and the names of the pipelines whose jobs it may act on.
   */
  public handler(scope: Construct, id: string, props: StepHandlerProps): StepHandler {
    const handler = new StepHandler(scope, id, { logRetention: this.logRetention, ...props });
    handler.function.addEnvironment('STEP_TABLE', this.stepTable.tableName);
    handler.function.addEnvironment('STEP_PIPELINES', Lazy.string({ produce: () => this.pipelineNames.join(',') }));
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.stepTable.tableArn],
      }),
    );
    return handler;
  }

  /**
   * A handler shared by several stages (the three hooks, the two deploy stages): created, and
   * granted, once per environment.
   */
  public sharedHandler(id: string, props: StepHandlerProps, grant: (handler: StepHandler) => void): StepHandler {
    let handler = this.shared.get(id);
    if (!handler) {
      handler = this.handler(this, id, props);
      grant(handler);
      this.shared.set(id, handler);
    }
    return handler;
  }

  /** The services of a selection, in the model's order. */
  public services(selection: ServiceSelection): ResolvedService[] {
    const { application, scheduler } = this.resolved;
    return selection === 'application' ? application : selection === 'scheduler' ? [scheduler] : [...application, scheduler];
  }

  public get clusterArn(): string {
    return this.arn('ecs', `cluster/${this.clusterName}`);
  }

  /** Read the model parameter. */
  public grantReadModel(handler: StepHandler): void {
    this.modelParameter.grantRead(handler.role);
  }

  /** Describe and roll out the selected services (Deploy_*, Post_Deployment_Configuration). */
  public grantDeploy(handler: StepHandler, selection: ServiceSelection, opts: { update: boolean }): void {
    const services = this.services(selection);
    handler.addServiceStatements(services, (chunk) => new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: chunk.map((s) => this.serviceArn(s)) }));
    if (opts.update) {
      // UpdateService supports the ecs:task-definition condition key (Service Authorization Reference):
      // a service may be moved only to a revision of the environment's own families (those of its chunk).
      handler.addServiceStatements(
        services,
        (chunk) =>
          new iam.PolicyStatement({
            actions: ['ecs:UpdateService'],
            resources: chunk.map((s) => this.serviceArn(s)),
            conditions: { ArnLike: { 'ecs:task-definition': this.familyArns(chunk) } },
          }),
      );
    }
    this.grantDescribeClusterTasks(handler);
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': this.clusterArn } },
      }),
      'the Service Authorization Reference lists ecs:ListTasks with the container-instance resource only, which a Fargate task list has none of; the ecs:cluster condition limits it to this cluster',
    );
    // UpdateService to a revision with task or execution roles passes them.
    if (opts.update) this.grantPassTaskRoles(handler, services);
  }

  /** `service/<cluster>/<service>`: the ARN IAM authorizes the service's actions on. */
  public serviceArn(service: { readonly service: string }): string {
    return this.arn('ecs', `service/${this.clusterName}/${service.service}`);
  }

  /** Stopped tasks explain a failed rollout or hook; tasks of the cluster only. */
  private grantDescribeClusterTasks(handler: StepHandler): void {
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks'],
        resources: [this.arn('ecs', `task/${this.clusterName}/*`)],
      }),
      'task ids are not known before the tasks start; limited to the tasks of this cluster',
    );
  }

  /** Describe task definitions (Pre_Deployment_Configuration, hooks). */
  public grantDescribeTaskDefinitions(handler: StepHandler): void {
    handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }),
      'the Service Authorization Reference lists no resource type for ecs:DescribeTaskDefinition: it takes only "*"; read-only',
    );
  }

  /** Register new task-definition revisions of the environment's families (Pre_Deployment_Configuration). */
  public grantRegisterTaskDefinitions(handler: StepHandler): void {
    const services = this.services('all');
    this.grantDescribeTaskDefinitions(handler);
    handler.addServiceStatements(
      services,
      (chunk) => new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition'], resources: this.familyArns(chunk) }),
      "RegisterTaskDefinition is authorized on task-definition/<family>:*; a new revision's number is not known before it is registered: every revision of the environment's own families",
    );
    // The revision copies the live one's tags: tag-on-create. ECS evaluates TagResource with ecs:CreateAction only inside
    // the creating call, so the statement above bounds it to the environment's families without naming them again.
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [this.arn('ecs', 'task-definition/*')],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
      "tag-on-create only (ecs:CreateAction = RegisterTaskDefinition): ECS asks for it only inside a RegisterTaskDefinition, which this role may call on the environment's own families alone; no existing resource can be tagged",
    );
    this.grantPassTaskRoles(handler, services);
  }

  /** Run one-off tasks of the hook service's task-definition family on the cluster (hooks). */
  public grantRunHookTask(handler: StepHandler): void {
    const hook = this.services('application').find((s) => s.app === this.model.hookService)!;
    // The live revision of the hook service (pre-deploy runs on it), and the hook task's stop reason.
    handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [this.serviceArn(hook)] }));
    this.grantDescribeClusterTasks(handler);
    this.grantDescribeTaskDefinitions(handler);
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: this.familyArns([hook]),
        conditions: { ArnEquals: { 'ecs:cluster': this.clusterArn } },
      }),
      'every revision of the hook service family (the live one for pre-deploy, the release for install), on this cluster only',
    );
    // The hook's time limit stops the task it started.
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:StopTask'],
        resources: [this.arn('ecs', `task/${this.clusterName}/*`)],
        // Service Authorization Reference: StopTask on resource type task, condition key ecs:cluster.
        conditions: { ArnEquals: { 'ecs:cluster': this.clusterArn } },
      }),
      'stops a hook task it started, whose id is not known before; tasks of this cluster only',
    );
    // The failure message carries the task's last log lines (awslogs driver).
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['logs:GetLogEvents'],
        resources: this.hookLogGroups.map((group) => this.arn('logs', `log-group:${group}:log-stream:*`)),
      }),
      "the hook task's log streams are named after the task, which starts at run time; read-only, in the hook service's log groups (hookLogGroups) only",
    );
    this.grantPassTaskRoles(handler, [hook]);
  }

  /**
   * RunTask, RegisterTaskDefinition and UpdateService pass the task definitions' roles: only the
   * roles of these services (their constructs', or taskRoleArn/executionRoleArn; else those named
   * `${environment}-*`), and only to ECS tasks.
   */
  private grantPassTaskRoles(handler: StepHandler, services: ResolvedService[]): void {
    const known = [...new Set(services.flatMap((s) => s.roles))];
    const resources = services.some((s) => s.roles.length === 0) ? [...known, this.defaultRolePattern()] : known;
    handler.addServiceStatements(
      resources,
      (chunk) =>
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [...chunk],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),
      `services imported by name have unknown roles: the roles named ${this.environment}-* (set taskRoleArn/executionRoleArn to narrow it), passed to ECS tasks only`,
    );
  }

  /** `task-definition/<family>:*`: every revision of the services' families. */
  private familyArns(services: readonly ResolvedService[]): string[] {
    return [...new Set(services.map((s) => s.family))].map((family) => this.arn('ecs', `task-definition/${family}:*`));
  }

  private defaultRolePattern(): string {
    const stack = Stack.of(this);
    return `arn:${stack.partition}:iam::${stack.account}:role/${this.environment}-*`;
  }

  private arn(service: string, resource: string): string {
    const stack = Stack.of(this);
    return `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
  }
}

function familyOf(svc: SprykerServiceProps): string | undefined {
  return svc.service instanceof ecs.BaseService ? svc.service.taskDefinition.family : undefined;
}

/** The task and execution roles of a service: given as ARNs, or those of its task definition. */
function rolesOf(svc: SprykerServiceProps): string[] {
  const td = svc.service instanceof ecs.BaseService ? svc.service.taskDefinition : undefined;
  const task = svc.taskRoleArn ?? td?.taskRole.roleArn;
  const execution = svc.executionRoleArn ?? td?.executionRole?.roleArn;
  return [task, execution].filter((r): r is string => r !== undefined);
}

/** The awslogs groups of a service construct's containers, when it has any. */
function awslogsGroupsOf(svc: SprykerServiceProps): string[] | undefined {
  if (!(svc.service instanceof ecs.BaseService)) return undefined;
  const groups = svc.service.taskDefinition.node
    .findAll()
    .filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition)
    .map((c) => c.logDriverConfig)
    .filter((cfg) => cfg?.logDriver === 'awslogs')
    .map((cfg) => cfg!.options?.['awslogs-group'])
    .filter((g): g is string => g !== undefined);
  return groups.length ? [...new Set(groups)] : undefined;
}

/** The model as every handler will parse it: a model they would refuse fails the synth, not a deployment. */
function validModel(model: DeploymentModel): DeploymentModel {
  const parsed = parseContract(DeploymentModel, model);
  if (!parsed.ok) throw new Error(`SprykerDeployment ${model.env}: the deployment model is invalid: ${parsed.problems.join('; ')}`);
  return model;
}
