import { RemovalPolicy } from 'aws-cdk-lib';
import type * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { SprykerSourceProps } from '../config/types';
import { acknowledge } from '../nag';
import { SprykerStage, type SprykerStageProps } from './stage';
import { VERSIONED_BUCKET_LIFECYCLE } from '../retention';

export interface SourceStageProps extends SprykerStageProps {
  /** @default - S3 source in a new versioned bucket, key `source.zip` */
  readonly source?: SprykerSourceProps;
}

/** The S3 object of an S3 source: its version's `commit` metadata is the version. */
export interface SourceObject {
  readonly bucket: s3.IBucket;
  readonly key: string;
}

/**
 * Source: the commit is the version deployed. Variables namespace `Source`.
 *
 * A CodeStar connection starts the pipeline through a V2 push trigger (branch and tag patterns);
 * CodeCommit and S3 through EventBridge (S3: the bucket's EventBridge notifications, no CloudTrail
 * trail needed). `bindToPipeline` adds them once the pipeline exists. Git sources hand Build_and_Prepare a full clone, so that a
 * pinned older desired_version can be checked out and built.
 */
export class SourceStage extends SprykerStage {
  public static readonly VARIABLES_NAMESPACE = 'Source';
  public readonly stageName = 'Source';
  public readonly actions: codepipeline.IAction[];
  /** The bucket of the default S3 source, when the construct created it. */
  public readonly sourceBucket?: s3.IBucket;
  /** The variable that holds the revision: `#{Source.CommitId}`, or the S3 object's version id. */
  public readonly versionVariable: string;
  /** S3 source: the object whose metadata holds the commit. @default - a git source */
  public readonly sourceObject?: SourceObject;
  /** V2 pipeline trigger of a CodeStar connection source. */
  private readonly trigger?: codepipeline.TriggerProps;
  /** The branch whose commits start the pipeline, for a CodeCommit source. */
  private readonly commitSource?: { readonly repository: codecommit.IRepository; readonly branch: string };

  constructor(scope: Construct, id: string, props: SourceStageProps) {
    super(scope, id);
    const output = props.artifacts.source;
    const namespace = SourceStage.VARIABLES_NAMESPACE;
    const source = props.source ?? {};
    if (source.connection) {
      const c = source.connection;
      const [owner, repo] = c.repository.split('/');
      const branch = c.branch ?? 'main';
      const action = new actions.CodeStarConnectionsSourceAction({
        actionName: 'Source',
        connectionArn: c.connectionArn,
        owner,
        repo,
        branch,
        output,
        variablesNamespace: namespace,
        codeBuildCloneOutput: c.fullClone ?? true,
        // The trigger below decides which pushes start the pipeline (it disables change detection).
        triggerOnPush: true,
      });
      const pushFilter: codepipeline.GitPushFilter[] = [{ branchesIncludes: c.branchPatterns ?? [branch] }];
      if (c.tagPatterns?.length) pushFilter.push({ tagsIncludes: c.tagPatterns });
      this.trigger = {
        providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
        gitConfiguration: { sourceAction: action, pushFilter },
      };
      this.actions = [action];
      this.versionVariable = action.variables.commitId;
    } else if (source.codeCommit) {
      const action = new actions.CodeCommitSourceAction({
        actionName: 'Source',
        repository: source.codeCommit.repository,
        branch: source.codeCommit.branch ?? 'main',
        output,
        variablesNamespace: namespace,
        codeBuildCloneOutput: source.codeCommit.fullClone ?? true,
        // The action's own EventBridge rule would start companion pipelines too: bindToPipeline adds it.
        trigger: actions.CodeCommitTrigger.NONE,
      });
      this.actions = [action];
      this.versionVariable = action.variables.commitId;
      this.commitSource = { repository: source.codeCommit.repository, branch: source.codeCommit.branch ?? 'main' };
    } else {
      const bucket = source.s3?.bucket ?? this.createBucket();
      const key = source.s3?.key ?? 'source.zip';
      this.sourceBucket = bucket;
      this.sourceObject = { bucket, key };
      const action = new actions.S3SourceAction({
        actionName: 'Source',
        bucket,
        bucketKey: key,
        output,
        variablesNamespace: namespace,
        // EVENTS would need a CloudTrail trail with data events; bindToPipeline uses S3's EventBridge notifications.
        trigger: actions.S3Trigger.NONE,
      });
      this.actions = [action];
      this.versionVariable = action.variables.versionId;
    }
  }

  /** Adds what starts the pipeline: the V2 push trigger, or the rule on a new source object version. */
  public bindToPipeline(pipeline: codepipeline.Pipeline): void {
    if (this.trigger) pipeline.addTrigger(this.trigger);
    if (this.commitSource) {
      // In this stage's scope, not the repository's: two environments may deploy from one repository.
      new events.Rule(this, 'OnCommit', {
        description: `Starts the pipeline on commits to ${this.commitSource.branch}`,
        eventPattern: {
          source: ['aws.codecommit'],
          resources: [this.commitSource.repository.repositoryArn],
          detailType: ['CodeCommit Repository State Change'],
          detail: { event: ['referenceCreated', 'referenceUpdated'], referenceName: [this.commitSource.branch] },
        },
        targets: [new targets.CodePipeline(pipeline)],
      });
    }
    if (this.sourceObject) {
      const rule = new events.Rule(this, 'OnUpload', {
        description: `Starts the pipeline when ${this.sourceObject.key} in its source bucket gets a new version`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: { bucket: { name: [this.sourceObject.bucket.bucketName] }, object: { key: [this.sourceObject.key] } },
        },
        targets: [new targets.CodePipeline(pipeline)],
      });
      acknowledge(
        rule,
        'Serverless-EventBusDLQ',
        "EventBridge retries starting the pipeline for 24 hours; an upload whose start was still lost stays in the versioned bucket, and 'Release change' builds the newest version",
      );
    }
  }

  private createBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      // Every push replaces source.zip: the replaced archives expire.
      lifecycleRules: VERSIONED_BUCKET_LIFECYCLE,
    });
    // EventBridge notifications as a bucket property: CDK's `eventBridgeEnabled` would add a custom-resource Lambda for it.
    (bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride('NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled', true);
    acknowledge(
      bucket,
      'AwsSolutions-S1',
      'holds source archives that CI uploads and CodePipeline reads; object-level access is audited with CloudTrail data events, not a log bucket per pipeline',
    );
    return bucket;
  }
}
