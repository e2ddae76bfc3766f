import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { UpdateDeployedVersionParams } from '../../lambda/update-deployed-version';
import { ssmPaths } from '../deployment';
import { SprykerStage, type SprykerStageProps } from './stage';

/** UpdateDeployedVersion: `/{env}/lastdeployedversion` = the version; the release manifest is kept for rollback. */
export class UpdateDeployedVersionStage extends SprykerStage {
  public readonly stageName = 'UpdateDeployedVersion';
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: SprykerStageProps) {
    super(scope, id);
    const { deployment, artifacts } = props;
    const { lastDeployedVersion: parameter, release: releaseParameter } = ssmPaths(deployment.environment);
    // One per environment: companion pipelines (destructive, ...) reuse it.
    const handler = deployment.sharedHandler(
      'UpdateDeployedVersion',
      { handler: 'update-deployed-version', description: `${deployment.environment}: records the deployed version` },
      (h) =>
        h.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['ssm:PutParameter', 'ssm:GetParameter', 'ssm:LabelParameterVersion'],
            resources: [parameter, releaseParameter].map((name) =>
              Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1) }),
            ),
          }),
        ),
    );
    this.actions = [
      handler.action<UpdateDeployedVersionParams>({
        actionName: this.stageName,
        userParameters: { parameter, releaseParameter },
        inputs: [artifacts.release],
      }),
    ];
  }
}
