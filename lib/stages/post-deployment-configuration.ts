import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { Construct } from 'constructs';
import type { PostDeploymentConfigurationParams } from '../contracts/params';
import { ssmPaths } from '../deployment';
import { SprykerStage, type SprykerStageProps } from './stage';

/** Post_Deployment_Configuration: verifies that every service still runs the release. */
export class PostDeploymentConfigurationStage extends SprykerStage {
  public readonly stageName = 'Post_Deployment_Configuration';
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: SprykerStageProps) {
    super(scope, id);
    const { deployment, artifacts } = props;
    // One per environment: companion pipelines (destructive, ...) reuse it.
    const handler = deployment.sharedHandler(
      'PostDeploymentConfiguration',
      { handler: 'post-deployment-configuration', description: `${deployment.environment}: verifies every service runs the release` },
      (h) => {
        deployment.grantReadModel(h);
        deployment.grantDeploy(h, 'all', { update: false });
      },
    );
    this.actions = [
      handler.action<PostDeploymentConfigurationParams>({
        actionName: this.stageName,
        userParameters: { model: ssmPaths(deployment.environment).model },
        inputs: [artifacts.release],
      }),
    ];
  }
}
