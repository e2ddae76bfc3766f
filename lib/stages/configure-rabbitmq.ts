import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { Construct } from 'constructs';
import type { RabbitMqParams } from '../../lambda/rabbitmq';
import type { SprykerBrokerProps } from '../config/types';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface ConfigureRabbitMqStageProps extends SprykerStageProps {
  /** @default - no broker: the stage succeeds at once */
  readonly broker?: SprykerBrokerProps;
}

/** Configure_RabbitMQ_Vhosts_and_Permissions: declared vhosts, users and permissions, changing only what differs. */
export class ConfigureRabbitMqStage extends SprykerStage {
  public readonly stageName = 'Configure_RabbitMQ_Vhosts_and_Permissions';
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: ConfigureRabbitMqStageProps) {
    super(scope, id);
    const { deployment } = props;
    const handler = deployment.handler(this, 'Handler', {
      handler: 'rabbitmq',
      description: `${deployment.environment}: applies RabbitMQ vhosts, users and permissions`,
      vpc: props.broker?.vpc,
      vpcSubnets: props.broker?.vpcSubnets,
      securityGroups: props.broker?.securityGroups,
    });
    this.actions = [
      handler.action<RabbitMqParams>({
        actionName: this.stageName,
        userParameters: {},
      }),
    ];
  }
}
