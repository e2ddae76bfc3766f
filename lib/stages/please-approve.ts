import { Duration } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PrepareVersionParams } from '../../lambda/prepare-version';
import type { SprykerApprovalProps } from '../config/types';
import { acknowledge } from '../nag';
import type { SprykerVersions } from '../versions';
import type { SourceObject } from './source';
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
}

/**
 * Please_approve: an action resolving the version to deploy (variables namespace `Versions`:
 * VERSION, LAST_DEPLOYED_VERSION, SOURCE_VERSION), then, when enabled, a manual approval showing
 * both versions. Without approval the stage keeps the version action.
 */
export class PleaseApproveStage extends SprykerStage {
  public static readonly VARIABLES_NAMESPACE = 'Versions';
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
          additionalInformation: `Deploy #{${ns}.VERSION} to ${deployment.environment} (last deployed: #{${ns}.LAST_DEPLOYED_VERSION})`,
          timeout: props.approval?.timeout ?? Duration.days(7),
          runOrder: 2,
        }),
      );
    }
  }
}
