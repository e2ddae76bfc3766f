import { Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { DeploymentModel, ModelService, ServiceSelection } from '../lambda/runtime/model';
import { DEFAULT_HOOKS, type SprykerPipelineProps, type SprykerServiceProps } from './config/types';
import { serviceName } from './config/validate';
import { StepHandler, type StepHandlerProps } from './step-handler';

/** SSM parameter names of an environment, as SCCOS has them. */
export function ssmPaths(env: string) {
  return {
    model: `/${env}/pipeline/model`,
    desiredVersion: `/${env}/desired_version`,
    lastBuildVersion: `/${env}/lastbuildversion`,
    lastDeployedVersion: `/${env}/lastdeployedversion`,
    /** The deployed releases, one parameter version per deploy (UpdateDeployedVersion), for rollback. */
    release: `/${env}/pipeline/release`,
  };
}

/** Standard-tier SSM values hold 4 KB; advanced 8 KB. */
const STANDARD_TIER_LIMIT = 4096;

interface ResolvedService extends ModelService {
  readonly family: string;
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
    });
    this.resolved = { application: props.services.map(resolve), scheduler: resolve(props.scheduler) };
    const strip = ({ family: _family, ...service }: ResolvedService): ModelService => service;
    const hooks = props.hooks ?? {};
    this.model = {
      v: 1,
      env: props.environment,
      cluster: this.clusterName,
      services: this.resolved.application.map(strip),
      scheduler: strip(this.resolved.scheduler),
      hookService: props.hookService ?? 'zed',
      hooks: {
        beforeDeploy: hooks.beforeDeploy ?? DEFAULT_HOOKS.beforeDeploy,
        install: hooks.install ?? DEFAULT_HOOKS.install,
        destructiveInstall: hooks.destructiveInstall ?? DEFAULT_HOOKS.destructiveInstall,
        afterDeploy: hooks.afterDeploy,
      },
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
    const value = Stack.of(this).toJsonString(this.model);
    this.modelParameter = new ssm.StringParameter(this, 'Model', {
      parameterName: ssmPaths(props.environment).model,
      description: `Deployment model of ${props.environment} for the pipeline's step handlers (written by the stack)`,
      stringValue: value,
      // Token-free JSON can be measured; a model with tokens (imported constructs) is sized by names we cannot see.
      tier: !Token.isUnresolved(value) && value.length <= STANDARD_TIER_LIMIT ? ssm.ParameterTier.STANDARD : ssm.ParameterTier.ADVANCED,
    });
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
    const services = this.services(selection).map((s) => this.arn('ecs', `service/${this.clusterName}/${s.service}`));
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: opts.update ? ['ecs:DescribeServices', 'ecs:UpdateService'] : ['ecs:DescribeServices'],
        resources: services,
      }),
    );
    // Stopped tasks explain a failed rollout; tasks of the cluster only.
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks'],
        resources: [this.arn('ecs', `task/${this.clusterName}/*`)],
      }),
      'task ids are not known before the tasks start; limited to the tasks of this cluster',
    );
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': this.clusterArn } },
      }),
      'ecs:ListTasks has no resource-level permission; the ecs:cluster condition limits it to this cluster',
    );
    // UpdateService to a revision with task or execution roles passes them.
    if (opts.update) this.grantPassTaskRoles(handler);
  }

  /** Describe task definitions (no resource-level permissions exist for it). */
  public grantDescribeTaskDefinitions(handler: StepHandler): void {
    handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }),
      'ecs:DescribeTaskDefinition supports no resource-level permissions',
    );
  }

  /** Register new task-definition revisions (Pre_Deployment_Configuration). */
  public grantRegisterTaskDefinitions(handler: StepHandler): void {
    this.grantDescribeTaskDefinitions(handler);
    handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition', 'ecs:TagResource'], resources: ['*'] }),
      'a new task-definition revision has no ARN before it is registered; RegisterTaskDefinition supports no resource-level permissions',
    );
    this.grantPassTaskRoles(handler);
  }

  /** Run one-off tasks of the hook service's task-definition family on the cluster (hooks). */
  public grantRunHookTask(handler: StepHandler): void {
    const hook = this.services('application').find((s) => s.app === this.model.hookService)!;
    this.grantDeploy(handler, 'application', { update: false });
    this.grantDescribeTaskDefinitions(handler);
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [this.arn('ecs', `task-definition/${hook.family}:*`)],
        conditions: { ArnEquals: { 'ecs:cluster': this.clusterArn } },
      }),
      'every revision of the hook service family (the live one for pre-deploy, the release for install), on this cluster only',
    );
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:StopTask'],
        resources: [this.arn('ecs', `task/${this.clusterName}/*`)],
      }),
      'stops a hook task it started, whose id is not known before; tasks of this cluster only',
    );
    // The failure message carries the task's last log lines (awslogs driver).
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['logs:GetLogEvents'],
        resources: [this.arn('logs', 'log-group:*:log-stream:*')],
      }),
      "the hook task's log group comes from its task definition at run time (awslogs driver); read-only",
    );
    this.grantPassTaskRoles(handler);
  }

  /** RunTask and RegisterTaskDefinition pass the task's roles; only to ECS tasks. */
  private grantPassTaskRoles(handler: StepHandler): void {
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: ['*'],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
      "the task and execution roles come from the live task definitions at run time; passing is limited to ECS tasks",
    );
  }

  private arn(service: string, resource: string): string {
    const stack = Stack.of(this);
    return `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
  }
}

function familyOf(svc: SprykerServiceProps): string | undefined {
  return svc.service instanceof ecs.BaseService ? svc.service.taskDefinition.family : undefined;
}
