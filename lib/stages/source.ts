import { RemovalPolicy } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { SprykerSourceProps } from '../config/types';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface SourceStageProps extends SprykerStageProps {
  /** @default - S3 source in a new versioned bucket, key `source.zip` */
  readonly source?: SprykerSourceProps;
}

/** Source: the commit (or S3 object version) is the version deployed. Variables namespace `Source`. */
export class SourceStage extends SprykerStage {
  public static readonly VARIABLES_NAMESPACE = 'Source';
  public readonly stageName = 'Source';
  public readonly actions: codepipeline.IAction[];
  /** The bucket of the default S3 source, when the construct created it. */
  public readonly sourceBucket?: s3.IBucket;
  /** The variable that holds the revision: `#{Source.CommitId}` or the S3 object version. */
  public readonly versionVariable: string;

  constructor(scope: Construct, id: string, props: SourceStageProps) {
    super(scope, id);
    const output = props.artifacts.source;
    const namespace = SourceStage.VARIABLES_NAMESPACE;
    const source = props.source ?? {};
    if (source.connection) {
      const action = new actions.CodeStarConnectionsSourceAction({
        actionName: 'Source',
        connectionArn: source.connection.connectionArn,
        owner: source.connection.repository.split('/')[0],
        repo: source.connection.repository.split('/')[1],
        branch: source.connection.branch ?? 'main',
        output,
        variablesNamespace: namespace,
        triggerOnPush: true,
      });
      this.actions = [action];
      this.versionVariable = action.variables.commitId;
    } else if (source.codeCommit) {
      const action = new actions.CodeCommitSourceAction({
        actionName: 'Source',
        repository: source.codeCommit.repository,
        branch: source.codeCommit.branch ?? 'main',
        output,
        variablesNamespace: namespace,
      });
      this.actions = [action];
      this.versionVariable = action.variables.commitId;
    } else {
      const bucket =
        source.s3?.bucket ??
        new s3.Bucket(this, 'Bucket', {
          versioned: true,
          enforceSSL: true,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          encryption: s3.BucketEncryption.S3_MANAGED,
          removalPolicy: RemovalPolicy.RETAIN,
        });
      this.sourceBucket = bucket;
      const action = new actions.S3SourceAction({
        actionName: 'Source',
        bucket,
        bucketKey: source.s3?.key ?? 'source.zip',
        output,
        variablesNamespace: namespace,
        trigger: actions.S3Trigger.EVENTS,
      });
      this.actions = [action];
      this.versionVariable = action.variables.versionId;
    }
  }
}
