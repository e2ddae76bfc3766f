import { Duration } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { SyncCatchUpParams } from '../contracts/sync-catch-up';
import { DEFAULT_IGNORED_QUEUES, DEFAULT_SYNC_QUEUES } from '../contracts/sync-queues';
import type { SprykerBrokerProps, SprykerSyncCatchUpProps } from '../config/types';
import type { SprykerDeployment } from '../deployment';
import { POLLING_TIMEOUT, type StepHandler } from '../step-handler';
import { ConfigureRabbitMqStage } from './configure-rabbitmq';
import { SprykerStage, type SprykerStageProps } from './stage';

/** Defaults of SprykerSyncCatchUpProps. */
export const SYNC_CATCH_UP_DEFAULTS = { settle: Duration.seconds(30), timeout: Duration.minutes(30), onTimeout: 'fail' } as const;

export interface SyncCatchUpStageProps extends SprykerStageProps {
  readonly broker: SprykerBrokerProps;
  readonly syncCatchUp: SprykerSyncCatchUpProps;
}

/**
 * Sync_catch_up (with `syncCatchUp.await`), between Run_install and Deploy_Spryker_services: waits,
 * bounded, until the publish and sync queues of the store vhosts drained, so that the services
 * roll out onto Redis and search data of the new release.
 */
export class SyncCatchUpStage extends SprykerStage {
  public readonly stageName = 'Sync_catch_up';
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: SyncCatchUpStageProps) {
    super(scope, id);
    this.actions = [syncCatchUpAction(props.deployment, props.broker, props.syncCatchUp, 'await')];
  }
}

/**
 * The action that watches the queues: `await` in its own stage, `measure` beside the rollout in
 * Deploy_Spryker_services (it starts when Run_install ended, as the catch-up does, and ends at the
 * latest when the rollout beside it ended: the stage waits for all its actions).
 */
export function syncCatchUpAction(deployment: SprykerDeployment, broker: SprykerBrokerProps, sync: SprykerSyncCatchUpProps, mode: 'await' | 'measure'): codepipeline.IAction {
  const config = ConfigureRabbitMqStage.configParameterName(deployment.environment);
  const userParameters: SyncCatchUpParams = {
    config,
    endpoint: broker.endpoint.replace(/\/+$/, ''),
    ...(broker.allowInsecureBrokerEndpoint && { allowInsecureEndpoint: true }),
    queues: sync.queues ?? [...DEFAULT_SYNC_QUEUES],
    ignore: sync.ignoreQueues ?? [...DEFAULT_IGNORED_QUEUES],
    settleSeconds: (sync.settle ?? SYNC_CATCH_UP_DEFAULTS.settle).toSeconds(),
    timeoutMinutes: (sync.timeout ?? SYNC_CATCH_UP_DEFAULTS.timeout).toMinutes(),
    mode,
    onTimeout: sync.onTimeout ?? SYNC_CATCH_UP_DEFAULTS.onTimeout,
  };
  return syncCatchUpHandler(deployment, broker, config).action<SyncCatchUpParams>({
    actionName: mode === 'await' ? 'Sync_catch_up' : 'Measure_sync_catch_up',
    userParameters,
  });
}

/** One handler per environment (the destructive pipeline shares it): it reads the broker config and the admin secret, nothing else. */
function syncCatchUpHandler(deployment: SprykerDeployment, broker: SprykerBrokerProps, config: string): StepHandler {
  return deployment.sharedHandler(
    'SyncCatchUp',
    {
      handler: 'sync-catch-up',
      description: `${deployment.environment}: measures (and awaits) the drain of the publish and sync queues after scheduler:setup`,
      timeout: POLLING_TIMEOUT,
      vpc: broker.vpc,
      vpcSubnets: broker.vpcSubnets,
      securityGroups: broker.securityGroups,
    },
    (handler) => {
      ssm.StringParameter.fromStringParameterName(handler, 'BrokerConfig', config).grantRead(handler.role);
      broker.adminSecret.grantRead(handler.role);
      // Measure mode: whether the rollout beside it ended.
      deployment.grantPipelineRead(handler.role, ['codepipeline:ListActionExecutions']);
    },
  );
}
