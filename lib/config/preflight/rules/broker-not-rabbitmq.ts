import type { PreflightRule } from '../finding';

/** Configure_RabbitMQ_Vhosts_and_Permissions speaks the RabbitMQ management API only. */
export const BrokerNotRabbitMq: PreflightRule = {
  code: 'SDF307',
  severity: 'critical',
  name: 'broker engine is not rabbitmq',
  check: (ctx) => {
    const engine = ctx.config.broker?.engine;
    return engine === undefined || engine === 'rabbitmq'
      ? []
      : [
          {
            message: `services.broker.engine is '${String(engine)}': the pipeline configures RabbitMQ vhosts and users only`,
            suggestion: 'use engine: rabbitmq (Amazon MQ for RabbitMQ on AWS)',
            path: ['services', 'broker', 'engine'],
          },
        ];
  },
};
