import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PrepareVersionParams, ReleaseDiffParams } from '../contracts/params';
import type { SprykerApprovalProps } from '../config/types';
import { imageKeys, repositoryName } from '../contracts/image-repository';
import { ssmPaths, type SprykerDeployment } from '../deployment';
import { acknowledge } from '../nag';
import { confirmRollbackParameter, factsScript } from '../release-diff';
import type { SprykerVersions } from '../versions';
import type { SourceObject } from './source';
import { acknowledgeProjectGrants } from './build-and-prepare';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface PleaseApproveStageProps extends SprykerStageProps {
  /** The source revision variable, e.g. `#{Source.CommitId}`. */
  readonly sourceVersion: string;
  /** S3 source: the object whose version `sourceVersion` is. @default - a git source */
  readonly sourceObject?: SourceObject;
  /** The environment's version parameters. */
  readonly versions: SprykerVersions;
  /** Whether a person approves. */
  readonly approvalEnabled: boolean;
  /** @default - defaults of SprykerApprovalProps */
  readonly approval?: SprykerApprovalProps;
  /** Release_diff before the approval (docs/release-diff.md). @default true */
  readonly releaseDiff?: boolean;
}

/** Days a release report is kept in the report bucket. */
export const REPORT_RETENTION_DAYS = 180;

/**
 * Please_approve: an action resolving the version to deploy (variables namespace `Versions`:
 * VERSION, LAST_DEPLOYED_VERSION, SOURCE_VERSION); Release_diff (namespace `ReleaseDiff`:
 * SCHEMA_RISK, DIRECTION, SUMMARY, REPORT_URL), after Release_facts for a git source; then, when
 * enabled, a manual approval showing both versions, the summary and the report's link. Without
 * approval the stage keeps the other actions (the rollback guard and SCHEMA_RISK still count).
 */
export class PleaseApproveStage extends SprykerStage {
  public static readonly VARIABLES_NAMESPACE = 'Versions';
  public static readonly RELEASE_DIFF_NAMESPACE = 'ReleaseDiff';
  public readonly stageName = 'Please_approve';
  public readonly actions: codepipeline.IAction[];
  /** Notified when approval is needed (only when approval is enabled). */
  public readonly topic?: sns.Topic;

  constructor(scope: Construct, id: string, props: PleaseApproveStageProps) {
    super(scope, id);
    const { deployment, versions, sourceObject } = props;
    const handler = deployment.handler(this, 'Handler', {
      handler: 'prepare-version',
      description: `${deployment.environment}: resolves the version to deploy`,
      timeout: Duration.minutes(1),
    });
    versions.grantRead(handler.role, 'desiredVersion', 'lastDeployedVersion');
    if (sourceObject) {
      // HeadObject of the source object's version, for its commit metadata.
      handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObjectVersion'], resources: [sourceObject.bucket.arnForObjects(sourceObject.key)] }));
    }
    const ns = PleaseApproveStage.VARIABLES_NAMESPACE;
    const diff = PleaseApproveStage.RELEASE_DIFF_NAMESPACE;
    const releaseDiff = props.releaseDiff ?? true;
    this.actions = [
      handler.action<PrepareVersionParams>({
        actionName: 'Prepare_versions',
        userParameters: {
          sourceVersion: props.sourceVersion,
          sourceObject: sourceObject && { bucket: sourceObject.bucket.bucketName, key: sourceObject.key },
          desiredVersionParameter: versions.names.desiredVersion,
          lastDeployedVersionParameter: versions.names.lastDeployedVersion,
        },
        variablesNamespace: ns,
        runOrder: 1,
      }),
    ];
    if (releaseDiff) this.actions.push(...releaseDiffActions(this, props, 2));
    if (props.approvalEnabled) {
      this.topic = new sns.Topic(this, 'Topic', {
        displayName: `${deployment.environment} deployment approval`,
        enforceSSL: true,
        // The message names the version and the environment; the pipeline's role publishes (ManualApprovalAction grants it the key).
        masterKey: new kms.Key(this, 'TopicKey', { description: `${deployment.environment}: encrypts the deployment approval topic`, enableKeyRotation: true }),
      });
      acknowledge(
        this.topic,
        'Serverless-SNSRedrivePolicy',
        'approval e-mails only: an undelivered one leaves the approval waiting in the pipeline (console, notifications) until it times out; a dead-letter queue would hold a copy nobody reads',
      );
      this.actions.push(
        new actions.ManualApprovalAction({
          actionName: 'Please_approve',
          notificationTopic: this.topic,
          notifyEmails: props.approval?.emails,
          additionalInformation:
            `Deploy #{${ns}.VERSION} to ${deployment.environment} (last deployed: #{${ns}.LAST_DEPLOYED_VERSION})` + (releaseDiff ? `. #{${diff}.SUMMARY}` : ''),
          externalEntityLink: releaseDiff ? `#{${diff}.REPORT_URL}` : undefined,
          timeout: props.approval?.timeout ?? Duration.days(7),
          runOrder: this.actions.length + 1,
        }),
      );
    }
  }
}

/**
 * Release_facts (git sources: a CodeBuild action, the only reader of a full-clone artifact, runs
 * the facts script) and Release_diff (the handler). The report bucket, the project and the
 * handler are one per environment, shared by its pipelines (normal, destructive).
 */
function releaseDiffActions(stage: PleaseApproveStage, props: PleaseApproveStageProps, runOrder: number): codepipeline.IAction[] {
  const { deployment, sourceObject } = props;
  const env = deployment.environment;
  const stack = Stack.of(stage);
  const reports = reportBucket(deployment);
  const confirm = confirmRollbackParameter(env);
  const handler = deployment.sharedHandler(
    'ReleaseDiff',
    // The S3 route holds both source archives in memory.
    { handler: 'release-diff', description: `${env}: what the release changes, and the rollback guard`, timeout: Duration.minutes(3), memorySize: 2048 },
    (h) => {
      h.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [reports.arnForObjects(`${env}/*`)] }), 'one report folder per execution below the environment prefix');
      h.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: confirm.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
        }),
      );
      // Which images exist for the version: metadata of these repositories only (no manifests, no layers).
      const repositories = imageKeys(deployment.services('all')).map((key) =>
        stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: repositoryName(env, key) }),
      );
      h.addServiceStatements(repositories, (chunk) => new iam.PolicyStatement({ actions: ['ecr:DescribeImages'], resources: [...chunk] }));
      deployment.grantReadModel(h);
      if (sourceObject) {
        h.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucketVersions'], resources: [sourceObject.bucket.bucketArn] }));
        h.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObjectVersion'], resources: [sourceObject.bucket.arnForObjects(sourceObject.key)] }));
      }
    },
  );
  const ns = PleaseApproveStage.VARIABLES_NAMESPACE;
  const version = `#{${ns}.VERSION}`;
  const lastDeployed = `#{${ns}.LAST_DEPLOYED_VERSION}`;
  const result: codepipeline.IAction[] = [];
  let facts: codepipeline.Artifact | undefined;
  if (!sourceObject) {
    facts = new codepipeline.Artifact('ReleaseFacts');
    result.push(
      new actions.CodeBuildAction({
        actionName: 'Release_facts',
        project: factsProject(deployment),
        input: props.artifacts.source,
        outputs: [facts],
        environmentVariables: { FROM: { value: lastDeployed }, TO: { value: version } },
        runOrder,
      }),
    );
  }
  result.push(
    handler.action<ReleaseDiffParams>({
      actionName: 'Release_diff',
      userParameters: {
        environment: env,
        version,
        lastDeployedVersion: lastDeployed,
        executionId: '#{codepipeline.PipelineExecutionId}',
        reportBucket: reports.bucketName,
        confirmParameter: confirm,
        model: ssmPaths(env).model,
        sourceObject: sourceObject && { bucket: sourceObject.bucket.bucketName, key: sourceObject.key },
      },
      inputs: facts ? [facts] : [],
      variablesNamespace: PleaseApproveStage.RELEASE_DIFF_NAMESPACE,
      runOrder: runOrder + result.length,
    }),
  );
  return result;
}

function reportBucket(deployment: SprykerDeployment): s3.Bucket {
  const existing = deployment.node.tryFindChild('ReleaseReports');
  if (existing) return existing as s3.Bucket;
  const bucket = new s3.Bucket(deployment, 'ReleaseReports', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    lifecycleRules: [{ expiration: Duration.days(REPORT_RETENTION_DAYS) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  acknowledge(bucket, 'AwsSolutions-S1', 'release reports are written by the Release_diff handler only and read in the console; object access is audited with CloudTrail data events, not a log bucket');
  return bucket;
}

function factsProject(deployment: SprykerDeployment): codebuild.PipelineProject {
  const existing = deployment.node.tryFindChild('ReleaseFacts');
  if (existing) return existing as codebuild.PipelineProject;
  const project = new codebuild.PipelineProject(deployment, 'ReleaseFacts', {
    description: `${deployment.environment}: git facts of the release (commits, changed files) for Release_diff`,
    environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.SMALL },
    timeout: Duration.minutes(15),
    logging: { cloudWatch: { logGroup: new logs.LogGroup(deployment, 'ReleaseFactsLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN }) } },
    environmentVariables: { OUT: { value: 'release-facts' } },
    buildSpec: codebuild.BuildSpec.fromObject({
      version: '0.2',
      phases: {
        build: {
          // The facts script of lib/release-diff/git.ts (the CLI runs the same), base64 so that no quoting can break it.
          commands: [`echo ${Buffer.from(factsScript()).toString('base64')} | base64 -d > /tmp/release-facts.sh`, 'bash /tmp/release-facts.sh'],
        },
      },
      artifacts: { 'base-directory': 'release-facts', files: ['**/*'] },
    }),
  });
  acknowledge(project, 'AwsSolutions-CB4', "the artifact is file names and schema/lock/deploy files of the repository, in the pipeline's encrypted artifact bucket like the source itself");
  acknowledgeProjectGrants(project);
  return project;
}
