import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { Construct } from 'constructs';
import type { PreDeploymentConfigurationParams } from '../contracts/params';
import { ssmPaths } from '../deployment';
import { SprykerStage, type SprykerStageProps } from './stage';

/**
 * Pre_Deployment_Configuration: registers, for every service (scheduler included), a task
 * definition revision equal to the live one but for the release's images, and writes release.json.
 */
export class PreDeploymentConfigurationStage extends SprykerStage {
  public readonly stageName = 'Pre_Deployment_Configuration';
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: SprykerStageProps) {
    super(scope, id);
    const { deployment, artifacts } = props;
    // One per environment: companion pipelines (destructive, ...) reuse it.
    const handler = deployment.sharedHandler(
      'PreDeploymentConfiguration',
      { handler: 'pre-deployment-configuration', description: `${deployment.environment}: registers the release's task definitions` },
      (h) => {
        deployment.grantReadModel(h);
        deployment.grantDeploy(h, 'all', { update: false });
        deployment.grantRegisterTaskDefinitions(h);
      },
    );
    this.actions = [
      handler.action<PreDeploymentConfigurationParams>({
        actionName: this.stageName,
        userParameters: { model: ssmPaths(deployment.environment).model },
        inputs: [artifacts.images],
        outputs: [artifacts.release],
      }),
    ];
  }
}
