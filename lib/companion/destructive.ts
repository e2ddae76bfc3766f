import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { Construct } from 'constructs';
import type { RabbitMqParams } from '../contracts/rabbitmq';
import type { SccosStageOverrides } from '../config/types';
import { SprykerPipeline } from '../spryker-pipeline';
import { ConfigureRabbitMqStage } from '../stages/configure-rabbitmq';
import { SprykerStage } from '../stages/stage';
import { companionSource } from './companion-pipeline';

export interface SprykerDestructivePipelineProps {
  /** The environment's normal pipeline: its props, model, version parameters, images and source are shared. */
  readonly pipeline: SprykerPipeline;
  /** @default `${environment}-destructive` */
  readonly pipelineName?: string;
  /** Explicit opt-in for a production environment: a destructive install wipes its data. @default false */
  readonly allowDestructiveOnProduction?: boolean;
}

/**
 * SCCOS's Destructive pipeline: the normal pipeline's stages, with Run_install running
 * SPRYKER_HOOK_DESTRUCTIVE_INSTALL. It shares the environment's deployment model, version
 * parameters, ECR repositories, broker configuration and step handlers with the normal pipeline,
 * and starts only by hand (never on a push).
 */
export class SprykerDestructivePipeline extends SprykerPipeline {
  constructor(scope: Construct, id: string, props: SprykerDestructivePipelineProps) {
    const normal = props.pipeline;
    super(
      scope,
      id,
      {
        ...normal.props,
        pipelineType: 'destructive',
        allowDestructiveOnProduction: props.allowDestructiveOnProduction ?? false,
        pipelineName: props.pipelineName ?? `${normal.props.environment}-destructive`,
        source: companionSource(normal),
        // The normal pipeline owns the repositories `{env}-{image}`.
        build: { ...normal.props.build, importRepositories: true },
        // Its notifications topic is the environment's; the normal pipeline created it.
        stageOverrides: { ...normal.props.stageOverrides, ...sharedBrokerStage(normal) },
      },
      { companionOf: normal },
    );
    // The shared model carries the destructive install only now that a destructive pipeline exists.
    this.deployment.enableDestructiveInstall();
  }
}

/** The normal pipeline's broker stage, when it is a ConfigureRabbitMqStage: its handler and configuration parameter exist once. */
function sharedBrokerStage(normal: SprykerPipeline): SccosStageOverrides {
  const normalStage = normal.sprykerStages.find((s): s is ConfigureRabbitMqStage => s instanceof ConfigureRabbitMqStage);
  if (!normalStage) return {};
  return { Configure_RabbitMQ_Vhosts_and_Permissions: (scope, id) => new SharedRabbitMqStage(scope, id, normalStage) };
}

/** The normal pipeline's broker handler and configuration parameter (`/{env}/pipeline/rabbitmq` exists once). */
class SharedRabbitMqStage extends SprykerStage {
  public readonly stageName = 'Configure_RabbitMQ_Vhosts_and_Permissions';
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, normal: ConfigureRabbitMqStage) {
    super(scope, id);
    this.actions = [normal.handler.action<RabbitMqParams>({ actionName: this.stageName, userParameters: normal.userParameters })];
  }
}
