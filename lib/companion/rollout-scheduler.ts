import type { Construct } from 'constructs';
import type { DeployParams } from '../contracts/params';
import { ssmPaths } from '../deployment';
import type { SprykerPipeline } from '../spryker-pipeline';
import { deployHandler } from '../stages/deploy-services';
import { SprykerCompanionPipeline } from './companion-pipeline';

export interface SprykerRolloutSchedulerPipelineProps {
  /** The environment's normal pipeline: its deployment model, deploy handler and source are shared. */
  readonly pipeline: SprykerPipeline;
  /** @default `${environment}-rollout-scheduler` */
  readonly pipelineName?: string;
}

/**
 * SCCOS's Rollout_Scheduler: redeploys only the scheduler on the task definition it runs now
 * (forceNewDeployment), so that it picks up new parameters and secrets; tracked to completion by
 * the environment's deploy handler. Builds nothing, runs no hook; starts only by hand.
 */
export class SprykerRolloutSchedulerPipeline extends SprykerCompanionPipeline {
  constructor(scope: Construct, id: string, props: SprykerRolloutSchedulerPipelineProps) {
    const normal = props.pipeline;
    const env = normal.deployment.environment;
    super(scope, id, normal, props.pipelineName ?? `${env}-rollout-scheduler`, [
      {
        stageName: 'Rollout_Scheduler',
        actions: [
          deployHandler(normal.deployment).action<DeployParams>({
            actionName: 'Rollout_Scheduler',
            userParameters: { model: ssmPaths(env).model, services: 'scheduler', revision: 'current' },
          }),
        ],
      },
    ]);
  }
}
