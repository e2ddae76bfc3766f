/**
 * Queue depths of the shop's store vhosts, read through the RabbitMQ management API with the
 * broker configuration that Configure_RabbitMQ_Vhosts_and_Permissions' stack writes to SSM
 * (`/{env}/pipeline/rabbitmq`: endpoint, admin secret ARN, vhosts). Read-only: GET requests only.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { call, StepFailure } from '../runtime/job';
import { ManagementApi, seg, type ManagementApiOptions } from './api';
import { parseBrokerConfig } from './config';

/** One queue as the management API counts it (counts are absent until the broker has sampled the queue). */
export interface QueueDepth {
  readonly vhost: string;
  readonly name: string;
  /** Ready plus unacknowledged. */
  readonly messages?: number;
  readonly unacknowledged?: number;
}

export interface BrokerReader {
  readonly api: ManagementApi;
  /** The store vhosts of the broker configuration. */
  readonly vhosts: readonly string[];
}

export interface BrokerPin {
  /** The SSM parameter of the broker configuration. */
  readonly config: string;
  /** The endpoint the stack pinned in the action's UserParameters. */
  readonly endpoint: string;
  readonly allowInsecureEndpoint?: boolean;
}

/**
 * The management API of the broker the configuration names, logged in as its admin: only after
 * the configuration's endpoint proved to be the one the stack pinned (https unless allowed), so
 * the admin's password goes nowhere else.
 */
export async function readBroker(
  clients: { ssm: SSMClient; secrets: SecretsManagerClient },
  pin: BrokerPin,
  options: Pick<ManagementApiOptions, 'timeoutMs' | 'attempts' | 'backoffMs' | 'sleep'> = {},
): Promise<BrokerReader> {
  const out = await call(`reading the broker config ${pin.config} (SSM)`, clients.ssm.send(new GetParameterCommand({ Name: pin.config })));
  const config = parseBrokerConfig(pin.config, out.Parameter?.Value);
  if (config.endpoint !== pin.endpoint) {
    throw new StepFailure(
      `the broker config ${pin.config} names the endpoint ${config.endpoint}, but the pipeline stack pinned ${pin.endpoint}: the parameter was changed outside CloudFormation; no request was sent. Restore it by redeploying the stack`,
      'ConfigurationError',
    );
  }
  if (!/^https:/i.test(config.endpoint) && !pin.allowInsecureEndpoint) {
    throw new StepFailure(`the broker endpoint ${config.endpoint} is not https: the admin's password would cross the network in the clear; use https, or set broker.allowInsecureBrokerEndpoint`, 'ConfigurationError');
  }
  const secret = await call(`reading the broker admin secret ${config.adminSecret}`, clients.secrets.send(new GetSecretValueCommand({ SecretId: config.adminSecret })));
  const admin = adminOf(secret.SecretString);
  if (!admin) {
    throw new StepFailure(`the broker admin secret ${config.adminSecret} must be JSON {"username": "...", "password": "..."} with both set`, 'ConfigurationError');
  }
  return { api: new ManagementApi({ endpoint: config.endpoint, ...admin, ...options }), vhosts: config.vhosts };
}

function adminOf(raw: string | undefined): { username: string; password: string } | undefined {
  try {
    const { username, password } = JSON.parse(raw ?? '') as { username?: unknown; password?: unknown };
    return typeof username === 'string' && username && typeof password === 'string' && password ? { username, password } : undefined;
  } catch {
    return undefined;
  }
}

/** `*` matches any run of characters; everything else literally; the whole name must match. */
export function queueMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (name) => res.some((re) => re.test(name));
}

/** The queues of each vhost whose name matches `include` and not `exclude`, with their counts. */
export async function queueDepths(api: ManagementApi, vhosts: readonly string[], include: readonly string[], exclude: readonly string[]): Promise<QueueDepth[]> {
  const wanted = queueMatcher(include);
  const ignored = queueMatcher(exclude);
  const perVhost = await Promise.all(
    vhosts.map(async (vhost) => {
      const queues = await api.get<{ name: string; messages?: number; messages_unacknowledged?: number }[]>(
        `/api/queues/${seg(vhost)}?columns=name,messages,messages_unacknowledged`,
      );
      return queues
        .filter((q) => wanted(q.name) && !ignored(q.name))
        .map((q): QueueDepth => ({ vhost, name: q.name, messages: q.messages, unacknowledged: q.messages_unacknowledged }));
    }),
  );
  return perVhost.flat();
}

/** Empty means counted and zero: a queue the broker has not sampled yet is not known to be empty. */
export const isEmpty = (q: QueueDepth): boolean => q.messages === 0 && q.unacknowledged === 0;

/** `vhost/queue (12 messages, 3 unacknowledged)`, or `(not counted yet)`. */
export function describeDepth(q: QueueDepth): string {
  const counts = q.messages === undefined ? 'not counted yet' : `${q.messages} message(s), ${q.unacknowledged ?? 0} unacknowledged`;
  return `${q.vhost}/${q.name} (${counts})`;
}
