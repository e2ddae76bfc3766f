import { Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ReportParams } from '../contracts/params';
import { latestRollingKey, type ReportAfterExecution } from '../contracts/report';
import type { SprykerReportProps } from '../config/types';
import type { SprykerDeployment } from '../deployment';
import { acknowledge } from '../nag';
import { ruleDeadLetters } from '../dead-letters';
import { REPORT_STAGE } from '../contracts/metrics';
import type { StepHandler } from '../step-handler';
import { SprykerStage, type SprykerStageProps } from './stage';

/** How long reports are kept when the props say nothing. */
export const DEFAULT_REPORT_RETENTION = Duration.days(365);

/** CodePipeline's execution end states the report rule listens to (Pipeline Execution State Change). */
export const REPORTED_STATES = ['SUCCEEDED', 'FAILED', 'STOPPED'] as const;

/**
 * The deployment reports of one environment (docs/states.md): the reports bucket, the report
 * handler, and the rule that reports every execution of the environment's reported pipelines
 * when it ends, however it ends. One per environment: get it with `SprykerReports.of`.
 */
export class SprykerReports extends Construct {
  public static of(deployment: SprykerDeployment, props: SprykerReportProps = {}): SprykerReports {
    const existing = deployment.node.tryFindChild('Reports');
    return existing instanceof SprykerReports ? existing : new SprykerReports(deployment, 'Reports', deployment, props);
  }

  /** report.json and report.html per execution, under `<pipeline>/<executionId>/`. */
  public readonly bucket: s3.Bucket;
  public readonly handler: StepHandler;
  /** On the end of every execution of a reported pipeline: targets the handler (and the notification topic, when set). */
  public readonly rule: events.Rule;
  /** The rule's events that could not be delivered (to the handler or the notification topic). */
  public readonly deadLetters: sqs.Queue;
  private readonly pipelines: string[] = [];

  private constructor(scope: Construct, id: string, deployment: SprykerDeployment, props: SprykerReportProps) {
    super(scope, id);
    const env = deployment.environment;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Every object expires: reports of old runs are not kept forever.
      lifecycleRules: [{ expiration: props.retention ?? DEFAULT_REPORT_RETENTION, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.bucket, 'AwsSolutions-S1', 'written only by the report handler, read by people in the console; object-level access is audited with CloudTrail data events, not a second log bucket');
    this.handler = deployment.handler(this, 'Handler', {
      handler: 'report',
      description: `${env}: writes each pipeline execution's deployment report and metrics`,
      // The event path waits up to 6 s for CodePipeline to show the execution ended.
      timeout: Duration.minutes(1),
      environment: { REPORT_BUCKET: this.bucket.bucketName, REPORT_ENVIRONMENT: env },
    });
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }),
      'report keys are <pipeline>/<execution id>/report.*, known only at run time; this bucket only',
    );
    // The environment's last rolling run, for a together run's comparison: that one pointer only.
    // ListBucket too, because without it S3 answers a missing key with 403, not 404.
    this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(latestRollingKey(env))] }));
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn], conditions: { StringEquals: { 's3:prefix': latestRollingKey(env) } } }),
    );
    // Corroboration and assembly.
    deployment.grantPipelineRead(this.handler.role, ['codepipeline:GetPipelineExecution', 'codepipeline:ListActionExecutions']);
    const input: ReportAfterExecution = {
      reportAfterExecution: {
        pipeline: events.EventField.fromPath('$.detail.pipeline'),
        executionId: events.EventField.fromPath('$.detail.execution-id'),
        state: events.EventField.fromPath('$.detail.state'),
      },
    };
    this.deadLetters = ruleDeadLetters(this, 'DeadLetters');
    this.rule = new events.Rule(this, 'OnExecutionEnd', {
      description: `${env}: the deployment report of every execution that ends (succeeded, failed, stopped)`,
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Pipeline Execution State Change'],
        detail: { pipeline: Lazy.list({ produce: () => this.pipelines }), state: [...REPORTED_STATES] },
      },
      targets: [new targets.LambdaFunction(this.handler.function, { event: events.RuleTargetInput.fromObject(input), retryAttempts: 2, deadLetterQueue: this.deadLetters })],
    });
  }

  /** Reports this pipeline's executions when they end. Pass the literal name (see SprykerDeployment.registerPipeline). */
  public register(pipelineName: string): void {
    if (!this.pipelines.includes(pipelineName)) this.pipelines.push(pipelineName);
  }
}

export interface ReportStageProps extends SprykerStageProps {
  readonly reports: SprykerReports;
}

/**
 * Report: the last stage. Every stage before it succeeded; its action writes the run's report and
 * puts the link in the execution's summary (and the REPORT_URL variable). A run that ends earlier
 * is reported by SprykerReports' rule.
 */
export class ReportStage extends SprykerStage {
  public readonly stageName = REPORT_STAGE;
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: ReportStageProps) {
    super(scope, id);
    this.actions = [
      props.reports.handler.action<ReportParams>({
        actionName: REPORT_STAGE,
        userParameters: { environment: props.deployment.environment },
        variablesNamespace: 'Report',
      }),
    ];
  }
}
