/**
 * The handler's side of lib/contracts/rabbitmq.ts: the broker's desired state and the action's
 * UserParameters, parsed with the shared schemas before any secret is read or request is sent.
 */
import { BROKER_CONFIG_VERSION, BrokerConfig, checkContract, RabbitMqParams } from '../../lib/contracts/rabbitmq';
import { StepFailure } from '../runtime/job';

export { BROKER_CONFIG_VERSION } from '../../lib/contracts/rabbitmq';
export type { BrokerConfig, DesiredPermission, DesiredUser, RabbitMqParams } from '../../lib/contracts/rabbitmq';

/** Validates the decoded UserParameters, every problem at once. */
export function parseRabbitMqParams(raw: unknown): RabbitMqParams {
  const parsed = checkContract(RabbitMqParams, raw);
  if ('problems' in parsed) throw new StepFailure(`rabbitmq: invalid UserParameters: ${parsed.problems.join('; ')}: redeploy the pipeline stack`, 'ConfigurationError');
  return parsed.data;
}

/** Parses the SSM value, naming the parameter and every problem: a broken value is a stack bug (or a hand edit). */
export function parseBrokerConfig(name: string, value: string | undefined): BrokerConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(value ?? '');
  } catch {
    throw new StepFailure(`broker config ${name} is not JSON: redeploy the pipeline stack`, 'ConfigurationError');
  }
  // The version first: the fields of another version mean something else.
  const version = (doc as { v?: unknown } | null)?.v;
  if (version !== BROKER_CONFIG_VERSION) {
    throw new StepFailure(`broker config ${name} has version ${JSON.stringify(version)}, this handler reads version ${BROKER_CONFIG_VERSION}: redeploy the pipeline stack`, 'ConfigurationError');
  }
  const parsed = checkContract(BrokerConfig, doc);
  if ('problems' in parsed) {
    throw new StepFailure(`broker config ${name} is invalid (nothing was sent to the broker): ${parsed.problems.join('; ')}: redeploy the pipeline stack, or fix the broker props`, 'ConfigurationError');
  }
  return parsed.data;
}
