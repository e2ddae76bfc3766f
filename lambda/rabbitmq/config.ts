/**
 * The broker's desired state, as the stack writes it to SSM (`/{env}/pipeline/rabbitmq`) and the
 * Configure_RabbitMQ_Vhosts_and_Permissions handler reads it. It holds secret ARNs, never secret
 * values. The stage construct imports these types type-only; both sides compile against them.
 */
import { StepFailure } from '../runtime/job';
import { parseStackJson } from '../runtime/stack-json';

/** Bump when the shape changes incompatibly; the handler refuses a config it does not understand. */
export const BROKER_CONFIG_VERSION = 1;

/** Permissions of one user on one vhost: RabbitMQ's three regular expressions. */
export interface DesiredPermission {
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface DesiredUser {
  readonly name: string;
  /** Secret (ARN) holding the password: a plain string, or JSON with a `password` key. */
  readonly passwordSecret: string;
  readonly tags: string[];
  /** Every permission of the user, defaults already applied by the stack. */
  readonly permissions: DesiredPermission[];
}

export interface BrokerConfig {
  readonly v: typeof BROKER_CONFIG_VERSION;
  /** Management API base URL, without a trailing slash. */
  readonly endpoint: string;
  /** Secret (ARN) with `{"username": "...", "password": "..."}` of an administrator. */
  readonly adminSecret: string;
  readonly vhosts: string[];
  readonly users: DesiredUser[];
  /** Delete vhosts, users and permissions that are not declared (never the admin, `/`, or Amazon MQ's own users). */
  readonly removeUndeclared: boolean;
}

/** Parses the SSM value, naming the parameter in every problem: a broken value is a stack bug. */
export function parseBrokerConfig(name: string, value: string | undefined): BrokerConfig {
  const config = parseStackJson<BrokerConfig>('broker config', name, value, BROKER_CONFIG_VERSION);
  const shapeOk =
    typeof config.endpoint === 'string' &&
    typeof config.adminSecret === 'string' &&
    Array.isArray(config.vhosts) &&
    Array.isArray(config.users) &&
    config.users.every((u) => typeof u?.name === 'string' && typeof u.passwordSecret === 'string' && Array.isArray(u.tags) && Array.isArray(u.permissions));
  if (!shapeOk) {
    throw new StepFailure(`broker config ${name} lacks endpoint, adminSecret, vhosts or users: redeploy the pipeline stack`, 'ConfigurationError');
  }
  return config;
}
