import { Fn, Stack, Token } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { SprykerMaintenanceProps } from './config/types';
import type { SprykerDeployment } from './deployment';
import { ruleDeadLetters } from './dead-letters';
import type { StepHandler } from './step-handler';
import { MAINTENANCE_CONFIG_VERSION, type LiftAfterExecution, type MaintenanceConfig, type MaintenanceMode, type MaintenanceParams } from './contracts/maintenance';

/** The 503 page when the props give none. */
export const DEFAULT_MAINTENANCE_PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><title>Maintenance</title></head>' +
  '<body style="font-family:sans-serif;text-align:center;padding:10%"><h1>We will be back soon</h1>' +
  '<p>The shop is being updated. Please try again in a few minutes.</p></body></html>';

/** The tag the maintenance handler puts on its rules, valued with the environment (TAG_ENV of lambda/maintenance-mode.ts). */
export const MAINTENANCE_TAG = 'spryker:maintenance';

/** SSM parameter of an environment's maintenance configuration. */
export const maintenanceConfigPath = (env: string) => `/${env}/pipeline/maintenance`;

/**
 * Maintenance mode of one environment: its configuration in SSM (listener, priorities, allow-list,
 * page) and the handler that turns it on and off. One per environment, whatever the number of
 * pipelines using it: get it with `SprykerMaintenance.of(deployment, props)`.
 */
export class SprykerMaintenance extends Construct {
  /** The environment's maintenance mode, created by the first caller. */
  public static of(deployment: SprykerDeployment, props: SprykerMaintenanceProps): SprykerMaintenance {
    const existing = deployment.node.tryFindChild('Maintenance');
    return existing instanceof SprykerMaintenance ? existing : new SprykerMaintenance(deployment, 'Maintenance', deployment, props);
  }

  public readonly configParameter: ssm.StringParameter;
  public readonly handler: StepHandler;
  public readonly props: SprykerMaintenanceProps;
  private readonly environment: string;
  private readonly deployment: SprykerDeployment;

  private constructor(scope: Construct, id: string, deployment: SprykerDeployment, props: SprykerMaintenanceProps) {
    super(scope, id);
    this.props = props;
    const env = deployment.environment;
    this.environment = env;
    this.deployment = deployment;
    const config: MaintenanceConfig = {
      v: MAINTENANCE_CONFIG_VERSION,
      env,
      listenerArn: props.listener.listenerArn,
      priority: props.priority ?? 1,
      allowedIps: props.allowedIps ?? [],
      page: props.page ?? DEFAULT_MAINTENANCE_PAGE,
      contentType: props.contentType ?? 'text/html',
    };
    this.configParameter = new ssm.StringParameter(this, 'Config', {
      parameterName: maintenanceConfigPath(env),
      description: `Maintenance mode of ${env}: listener, rule priorities, allow-list and page (written by the stack)`,
      stringValue: Stack.of(this).toJsonString(config),
      // Page ≤ 1024 characters and a listener ARN: far below the standard tier's 4 KB for any sane allow-list.
      tier: ssm.ParameterTier.STANDARD,
    });
    this.handler = deployment.handler(this, 'Handler', {
      handler: 'maintenance-mode',
      description: `${env}: turns maintenance mode on the shop's load balancer on and off`,
    });
    this.grantToggle(this.handler);
  }

  /** An action turning maintenance on or off. */
  public action(mode: MaintenanceMode, options: { actionName?: string; runOrder?: number } = {}): codepipeline.IAction {
    return this.handler.action<MaintenanceParams>({
      actionName: options.actionName ?? (mode === 'enable' ? 'Enable_maintenance' : 'Disable_maintenance'),
      userParameters: { config: maintenanceConfigPath(this.environment), mode },
      runOrder: options.runOrder,
    });
  }

  /**
   * Lifts the maintenance that a stage (Run_install with `duringInstall`) turned on, when that
   * stage ends in any way, also where no invocation of its handler runs: a lost or refused
   * continuation, a stopped or abandoned execution, the action's own time limit. An EventBridge
   * rule on CodePipeline's action and stage state changes invokes the maintenance handler, which
   * lifts only maintenance whose 503 rule carries that execution's id (the stage tags it), and only
   * once CodePipeline confirms that execution's maintenance-wrapped actions are over.
   */
  public liftAfter(stageName: string): void {
    const id = `LiftAfter${stageName.replace(/[^A-Za-z0-9]/g, '')}`;
    if (this.node.tryFindChild(id)) return;
    const input: LiftAfterExecution = {
      liftAfterExecution: {
        config: maintenanceConfigPath(this.environment),
        pipeline: events.EventField.fromPath('$.detail.pipeline'),
        executionId: events.EventField.fromPath('$.detail.execution-id'),
        stage: events.EventField.fromPath('$.detail.stage'),
        state: events.EventField.fromPath('$.detail.state'),
      },
    };
    new events.Rule(this, id, {
      description: `${this.environment}: lifts the maintenance mode a ${stageName} stage turned on, however the stage ends`,
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Action Execution State Change', 'CodePipeline Stage Execution State Change'],
        // Terminal states of an action (SUCCEEDED, FAILED, CANCELED, ABANDONED) and of a stage (also STOPPED).
        detail: { stage: [stageName], state: ['SUCCEEDED', 'FAILED', 'CANCELED', 'ABANDONED', 'STOPPED'] },
      },
      targets: [new targets.LambdaFunction(this.handler.function, { event: events.RuleTargetInput.fromObject(input), retryAttempts: 2, deadLetterQueue: this.liftDeadLetters() })],
    });
    // The lift corroborates the event (ListActionExecutions: Read, resource type pipeline).
    this.deployment.grantPipelineRead(this.handler.role, ['codepipeline:ListActionExecutions']);
  }

  /**
   * Lift events that failed after EventBridge's retries (the handler said MAINTENANCE IS STILL
   * ON): kept 14 days, so a person can see which execution left maintenance on and re-drive it.
   */
  private liftDeadLetters(): sqs.Queue {
    return ruleDeadLetters(this, 'LiftDeadLetters');
  }

  /** Lets another handler (Run_install's) turn maintenance on and off. */
  public grantToggle(handler: StepHandler): void {
    this.configParameter.grantRead(handler.role);
    const listener = this.props.listener.listenerArn;
    handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags'], resources: ['*'] }),
      'ELB Describe* actions support no resource-level permissions',
    );
    handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:CreateRule'], resources: [listener] }));
    const rules = listenerRules(listener);
    const reason = 'the maintenance rules get their ids when they are created at run time; limited to the rules of the shop listener';
    // Tags only while CreateRule creates a rule (ELB tag-on-create: elasticloadbalancing:CreateAction), marked as this environment's.
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:AddTags'],
        resources: [rules],
        conditions: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule', [`aws:RequestTag/${MAINTENANCE_TAG}`]: this.environment } },
      }),
      reason,
    );
    // Deletes only the rules it created for this environment: the shop's own rules carry no such tag.
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:DeleteRule'],
        resources: [rules],
        conditions: { StringEquals: { [`aws:ResourceTag/${MAINTENANCE_TAG}`]: this.environment } },
      }),
      reason,
    );
  }
}

/** `arn:…:listener-rule/app/<lb>/<lb-id>/<listener-id>/*` from the listener's ARN (also when it is a token). */
function listenerRules(listenerArn: string): string {
  if (!Token.isUnresolved(listenerArn)) return `${listenerArn.replace(':listener/', ':listener-rule/')}/*`;
  const parts = Fn.split(':listener/', listenerArn);
  return Fn.join('', [Fn.select(0, parts), ':listener-rule/', Fn.select(1, parts), '/*']);
}
