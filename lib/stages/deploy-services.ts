import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { Construct } from 'constructs';
import type { DeployParams } from '../contracts/params';
import { ssmPaths, type SprykerDeployment } from '../deployment';
import { POLLING_TIMEOUT } from '../step-handler';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface DeployServicesStageProps extends SprykerStageProps {
  /** `scheduler` for Deploy_Scheduler, `application` for Deploy_Spryker_services. */
  readonly services: 'scheduler' | 'application';
}

/**
 * Deploy_Scheduler and Deploy_Spryker_services: every service of the stage rolls out to the
 * release's task definition at once, tracked until each PRIMARY deployment is COMPLETED.
 */
export class DeployServicesStage extends SprykerStage {
  public readonly stageName: string;
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: DeployServicesStageProps) {
    super(scope, id);
    this.stageName = props.services === 'scheduler' ? 'Deploy_Scheduler' : 'Deploy_Spryker_services';
    this.actions = [
      deployHandler(props.deployment).action<DeployParams>({
        actionName: this.stageName,
        userParameters: { model: ssmPaths(props.deployment.environment).model, services: props.services },
        inputs: [props.artifacts.release],
      }),
    ];
  }
}

/** One handler deploys both the scheduler and the application services. */
export function deployHandler(deployment: SprykerDeployment) {
  return deployment.sharedHandler(
    'Deploy',
    {
      handler: 'deploy',
      description: `${deployment.environment}: rolls ECS services out to the release and tracks them to completion`,
      timeout: POLLING_TIMEOUT,
    },
    (h) => {
      deployment.grantReadModel(h);
      deployment.grantDeploy(h, 'all', { update: true });
      deployment.cutover?.grantTrack(h, deployment);
    },
  );
}
