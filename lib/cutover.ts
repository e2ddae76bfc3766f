import { Duration, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { CUTOVER_HOOK_STAGES, CUTOVER_VERSION, type CutoverConfig } from './contracts/cutover';
import type { SprykerPipelineProps } from './config/types';
import { WARM_UP_DEFAULTS } from './config/limits';
import { ssmPaths } from './config/ssm-paths';
import type { StepHandler, StepHandlerProps } from './step-handler';

/** How long the barrier waits for every service to arrive (green tasks running, test traffic on them). */
export const CUTOVER_BARRIER_TIMEOUT = Duration.minutes(30);

/**
 * What the cutover needs of its environment. SprykerDeployment, which owns the cutover, passes
 * itself; the cutover does not import it (no import circle).
 */
export interface CutoverEnvironment {
  readonly environment: string;
  readonly clusterName: string;
  services(selection: 'application'): readonly { readonly app: string; readonly service: string }[];
  handler(scope: Construct, id: string, props: StepHandlerProps): StepHandler;
  grantReadModel(handler: StepHandler): void;
}

/**
 * The hook function's name: fixed, so that the model can name it without a reference to the
 * function (which reads the model: a cycle).
 */
export const cutoverHookName = (env: string) => `${env}-cutover-hook`;

/** SSM parameter of the hook's configuration. */
export const cutoverConfigPath = (env: string) => `/${env}/pipeline/cutover`;

/**
 * `cutover: 'together'` (docs/cutover.md): the lifecycle-hook function that holds every
 * application service's blue/green deployment at the barrier, the role ECS assumes to invoke
 * it, and the hook target the shop's services name (`SprykerPipeline.cutoverHook`).
 */
export class SprykerCutover extends Construct {
  public readonly hook: StepHandler;
  /** The role ECS assumes to invoke the hook (trust: ecs.amazonaws.com; lambda:InvokeFunction on the hook only). */
  public readonly invokeRole: iam.Role;
  /** Add it to each application service: `new ecs.FargateService(..., { lifecycleHooks: [pipeline.cutoverHook] })`. */
  public readonly hookTarget: ecs.IDeploymentLifecycleHookTarget;

  constructor(scope: Construct, id: string, deployment: CutoverEnvironment, props: SprykerPipelineProps) {
    super(scope, id);
    const env = deployment.environment;
    const warm = props.warmUp;
    const services = deployment.services('application');
    const checks = Object.fromEntries(services.flatMap((s) => (props.cutoverChecks?.[s.app] ? [[s.service, props.cutoverChecks[s.app]]] : [])));
    const timeout = (warm?.timeout ?? WARM_UP_DEFAULTS.timeout).toSeconds();
    const pages = Math.max(0, ...Object.values(checks).map((urls) => urls.length));
    const concurrency = warm?.concurrency ?? WARM_UP_DEFAULTS.concurrency;
    this.hook = deployment.handler(this, 'Hook', {
      handler: 'cutover-hook',
      description: `${env}: ECS lifecycle hook holding every application service's blue/green deployment until all are ready, then releasing them together`,
      // Its checks at their worst, and the time to record and answer.
      timeout: Duration.seconds(Math.min(15 * 60, Math.max(60, Math.ceil(pages / concurrency) * timeout + 30))),
      vpc: warm?.vpc,
      vpcSubnets: warm?.vpcSubnets,
      securityGroups: warm?.securityGroups,
      invokedBy: 'ecs-lifecycle-hook',
    });
    (this.hook.function.node.defaultChild as lambda.CfnFunction).functionName = cutoverHookName(env);
    const config: CutoverConfig = {
      v: CUTOVER_VERSION,
      model: ssmPaths(env).model,
      checks,
      concurrency,
      timeoutMs: timeout * 1000,
      ttfbMs: (warm?.ttfbThreshold ?? WARM_UP_DEFAULTS.ttfbThreshold).toMilliseconds(),
    };
    const value = Stack.of(this).toJsonString(config);
    const parameter = new ssm.StringParameter(this, 'Config', {
      parameterName: cutoverConfigPath(env),
      description: `Cutover hook of ${env}: the pages each service's hook checks through the test listener (written by the stack)`,
      stringValue: value,
      tier: value.length <= 4096 ? ssm.ParameterTier.STANDARD : ssm.ParameterTier.ADVANCED,
    });
    this.hook.function.addEnvironment('CUTOVER_CONFIG', cutoverConfigPath(env));
    parameter.grantRead(this.hook.role);
    deployment.grantReadModel(this.hook);
    // Service Authorization Reference: DescribeServiceDeployments and DescribeServiceRevisions require both the
    // service and the service-deployment (service-revision) resource types.
    const arns = serviceArns(this, deployment.clusterName);
    this.hook.addServiceStatements(services, (chunk) => new iam.PolicyStatement({ actions: HOOK_READS, resources: chunk.map(arns.service) }));
    // The deployment and revision ids are ECS's own: the environment's services are the narrowest bound.
    this.hook.addServiceStatements(
      services,
      (chunk) => new iam.PolicyStatement({ actions: HOOK_READS, resources: chunk.flatMap((s) => [arns.deployments(s), arns.revisions(s)]) }),
      "the ids of a service's deployments and revisions are ECS's, known only once they exist; limited to the environment's application services",
    );
    this.invokeRole = new iam.Role(this, 'EcsInvokesHook', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: `${env}: ECS invokes the cutover lifecycle hook with this role`,
    });
    this.invokeRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.hook.function.functionArn] }));
    this.hookTarget = new ecs.DeploymentLifecycleLambdaTarget(this.hook.function, 'CutoverHook', {
      role: this.invokeRole,
      lifecycleStages: CUTOVER_HOOK_STAGES.map((s) => ecs.DeploymentLifecycleStage[s]),
    });
  }

  /** Deploy_Spryker_services tracks, and rolls back, the services' blue/green deployments. */
  public grantTrack(handler: StepHandler, deployment: CutoverEnvironment): void {
    const arns = serviceArns(this, deployment.clusterName);
    const services = deployment.services('application');
    // Describe and Stop require the service resource type besides the service-deployment (Service Authorization Reference).
    handler.addServiceStatements(services, (chunk) => new iam.PolicyStatement({ actions: ['ecs:ListServiceDeployments', ...TRACK], resources: chunk.map(arns.service) }));
    handler.addServiceStatements(
      services,
      (chunk) => new iam.PolicyStatement({ actions: TRACK, resources: chunk.map(arns.deployments) }),
      "a deployment's id is ECS's, known only once UpdateService created it; limited to the environment's application services",
    );
  }
}

const HOOK_READS = ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'];
const TRACK = ['ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment'];

/**
 * A service's ARNs as IAM authorizes them (Service Authorization Reference, ECS resource types):
 * `service/${ClusterName}/${ServiceName}`, `service-deployment/${ClusterName}/${ServiceName}/${ServiceDeploymentId}`,
 * `service-revision/${ClusterName}/${ServiceName}/${ServiceRevisionId}`.
 */
function serviceArns(scope: Construct, cluster: string) {
  const stack = Stack.of(scope);
  const ecsArn = (resource: string) => `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:${resource}`;
  return {
    service: (s: { readonly service: string }) => ecsArn(`service/${cluster}/${s.service}`),
    deployments: (s: { readonly service: string }) => ecsArn(`service-deployment/${cluster}/${s.service}/*`),
    revisions: (s: { readonly service: string }) => ecsArn(`service-revision/${cluster}/${s.service}/*`),
  };
}
