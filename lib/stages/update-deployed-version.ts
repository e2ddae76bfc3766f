import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { UpdateDeployedVersionParams } from '../contracts/params';
import { ssmPaths } from '../deployment';
import { KEPT_TAG_PREFIX, type SprykerImages } from '../images';
import { DEFAULT_RELEASE_HISTORY, releaseTableName, SprykerReleaseHistory } from '../release-history';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface UpdateDeployedVersionStageProps extends SprykerStageProps {
  /** The environment's image repositories: the release's images get their protective tag there. */
  readonly images: SprykerImages;
  /** Releases kept for rollback. @default 100 */
  readonly releaseHistory?: number;
}

/**
 * UpdateDeployedVersion: keeps the release for rollback (a record in the environment's release
 * history, its images tagged so that no lifecycle rule expires them), then
 * `/{env}/lastdeployedversion` = the version; releases beyond `releaseHistory` are pruned.
 */
export class UpdateDeployedVersionStage extends SprykerStage {
  public readonly stageName = 'UpdateDeployedVersion';
  public readonly actions: codepipeline.IAction[];
  /** The environment's kept releases. */
  public readonly history: SprykerReleaseHistory;

  constructor(scope: Construct, id: string, props: UpdateDeployedVersionStageProps) {
    super(scope, id);
    const { deployment, artifacts } = props;
    const parameter = ssmPaths(deployment.environment).lastDeployedVersion;
    this.history = SprykerReleaseHistory.of(deployment, deployment.environment);
    // One per environment: companion pipelines (destructive, ...) reuse it.
    const handler = deployment.sharedHandler(
      'UpdateDeployedVersion',
      { handler: 'update-deployed-version', description: `${deployment.environment}: records the deployed version and keeps the release` },
      (h) => {
        h.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['ssm:PutParameter', 'ssm:GetParameter'],
            resources: [Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: parameter.slice(1) })],
          }),
        );
        this.history.grantRecord(h.role);
        props.images.grantKeep(h.role);
      },
    );
    this.actions = [
      handler.action<UpdateDeployedVersionParams>({
        actionName: this.stageName,
        userParameters: {
          parameter,
          releaseTable: releaseTableName(deployment.environment),
          keepReleases: props.releaseHistory ?? DEFAULT_RELEASE_HISTORY,
          keptTagPrefix: KEPT_TAG_PREFIX,
          releaseArtifact: artifacts.release.artifactName!,
          imagesArtifact: artifacts.images.artifactName!,
        },
        inputs: [artifacts.release, artifacts.images],
      }),
    ];
  }
}
