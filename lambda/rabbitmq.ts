/**
 * Configure_RabbitMQ_Vhosts_and_Permissions: reads the declared broker state (SSM) and the
 * broker's current state (management API), plans the difference and applies it, so that a
 * deployment that changes nothing on the broker sends no write request at all.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ManagementApi, seg, type ManagementApiOptions } from './rabbitmq/api';
import { parseBrokerConfig, type BrokerConfig } from './rabbitmq/config';
import {
  countChanges,
  describeChange,
  planChanges,
  summarize,
  type BrokerState,
  type Change,
  type ChangeCounts,
  type DesiredState,
} from './rabbitmq/plan';
import { call, defineStep, describeError, StepFailure, type StepContext, type StepDefinition, type StepResult } from './runtime/job';
import { parseParams } from './runtime/params';
import type { RabbitMqParams } from '../lib/contracts';

export type { RabbitMqParams } from '../lib/contracts';

/** Continuation state: what earlier invocations of this job applied, for the final summary. */
export interface RabbitMqState {
  readonly applied: ChangeCounts;
}

export interface RabbitMqDeps {
  /** Timeouts, retries and backoff of management API requests. @default ManagementApi's */
  readonly api?: Pick<ManagementApiOptions, 'timeoutMs' | 'attempts' | 'backoffMs' | 'sleep'>;
}

/** The step; integration tests run it, through defineStep, against a real broker. */
export function rabbitMqStep(deps: RabbitMqDeps = {}): StepDefinition<RabbitMqParams, RabbitMqState> {
  return {
    name: 'rabbitmq',
    parseParams: (raw) => parseParams<RabbitMqParams>('rabbitmq', raw, { config: 'string?', endpoint: 'string?', allowInsecureEndpoint: 'boolean?' }),
    run: async (ctx, state) => {
      if (!ctx.params.config) return { status: 'done', summary: 'no broker configured: nothing to do' };
      const secrets = ctx.client(SecretsManagerClient);
      const out = await call(`reading the broker config ${ctx.params.config} (SSM)`, ctx.client(SSMClient).send(new GetParameterCommand({ Name: ctx.params.config })));
      const config = parseBrokerConfig(ctx.params.config, out.Parameter?.Value);
      // Before any secret is read: the credentials go only where the stack says.
      checkEndpoint(ctx.params, ctx.params.config, config.endpoint);
      const admin = await readAdmin(secrets, config.adminSecret);
      const desired = await resolveDesired(secrets, config, admin.username);
      const api = new ManagementApi({ endpoint: config.endpoint, ...admin, ...deps.api });
      const changes = planChanges(desired, await readBroker(api));
      console.log(JSON.stringify({ broker: api.origin, plan: changes.map((c) => describeChange(c, 'todo')) }));
      return apply(ctx, api, desired, changes, state?.applied ?? {});
    },
  };
}

export const handler = defineStep(rabbitMqStep());

/** The desired state's endpoint is the one the stack pinned, and https unless the stack allows http. */
function checkEndpoint(params: RabbitMqParams, parameter: string, endpoint: string): void {
  if (!params.endpoint) {
    throw new StepFailure(`rabbitmq: this action's UserParameters pin no broker endpoint: redeploy the pipeline stack, which pins it`, 'ConfigurationError');
  }
  if (endpoint !== params.endpoint) {
    throw new StepFailure(
      `the broker config ${parameter} names the endpoint ${endpoint}, but the pipeline stack pinned ${params.endpoint}: the parameter was changed outside CloudFormation; nothing was sent to either host. Restore the parameter by redeploying the stack, and change broker.endpoint in the stack if the broker moved`,
      'ConfigurationError',
    );
  }
  let protocol: string;
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    throw new StepFailure(`the broker endpoint ${endpoint} is not a URL: set broker.endpoint to the management API base URL and redeploy the stack`, 'ConfigurationError');
  }
  if (protocol !== 'https:' && !params.allowInsecureEndpoint) {
    throw new StepFailure(
      `the broker endpoint ${endpoint} is not https: the admin's and the users' passwords would cross the network in the clear; use https, or set broker.allowInsecureBrokerEndpoint for a broker on a private network`,
      'ConfigurationError',
    );
  }
}

async function readBroker(api: ManagementApi): Promise<BrokerState> {
  const [vhosts, users, permissions] = await Promise.all([
    api.get<{ name: string }[]>('/api/vhosts?columns=name'),
    api.get<BrokerState['users']>('/api/users?columns=name,password_hash,hashing_algorithm,tags'),
    api.get<BrokerState['permissions']>('/api/permissions?columns=user,vhost,configure,write,read'),
  ]);
  return { vhosts: vhosts.map((v) => v.name), users, permissions };
}

async function apply(
  ctx: StepContext<RabbitMqParams>,
  api: ManagementApi,
  desired: DesiredState,
  changes: Change[],
  before: ChangeCounts,
): Promise<StepResult<RabbitMqState>> {
  const users = new Map(desired.users.map((u) => [u.name, u]));
  const applied: Change[] = [];
  for (const [i, change] of changes.entries()) {
    // Hand back before a request could outlive the invocation; the next one re-plans what is left.
    if (ctx.remainingMs() < api.worstCaseMs) {
      return {
        status: 'continue',
        state: { applied: countChanges(applied, before) },
        summary: `${applied.length} of ${changes.length} changes applied to ${api.origin}, continuing`,
        percentComplete: (100 * applied.length) / changes.length,
      };
    }
    try {
      await write(api, change, users);
    } catch (err) {
      throw halfApplied(applied, change, changes.slice(i + 1), err);
    }
    applied.push(change);
  }
  return { status: 'done', summary: `${api.origin}: ${summarize(countChanges(applied, before))}` };
}

async function write(api: ManagementApi, c: Change, users: Map<string, DesiredState['users'][number]>): Promise<void> {
  switch (c.kind) {
    case 'vhost':
      return c.action === 'create' ? api.put(`/api/vhosts/${seg(c.vhost)}`, {}) : api.delete(`/api/vhosts/${seg(c.vhost)}`);
    case 'user': {
      if (c.action === 'delete') return api.delete(`/api/users/${seg(c.user)}`);
      // PUT replaces the user: without the password it could no longer log in, so it is always sent.
      const user = users.get(c.user)!;
      return api.put(`/api/users/${seg(c.user)}`, { password: user.password, tags: user.tags.join(',') });
    }
    case 'permission': {
      if (c.action === 'delete') return api.delete(`/api/permissions/${seg(c.vhost)}/${seg(c.user)}`);
      const { vhost, configure, write, read } = c.permission;
      return api.put(`/api/permissions/${seg(vhost)}/${seg(c.user)}`, { configure, write, read });
    }
  }
}

/** The failure of a half-applied plan: what was applied, what failed and why, what was not. */
function halfApplied(applied: Change[], failed: Change, rest: Change[], err: unknown): StepFailure {
  const { message, type } = describeError(err);
  const list = (cs: Change[], tense: 'done' | 'todo') =>
    cs.length === 0 ? 'none' : cs.slice(0, 10).map((c) => describeChange(c, tense)).join(', ') + (cs.length > 10 ? ` and ${cs.length - 10} more` : '');
  const total = applied.length + 1 + rest.length;
  return new StepFailure(
    `${message}. Plan half-applied: ${applied.length} of ${total} changes applied (${list(applied, 'done')}); ` +
      `failed: ${describeChange(failed, 'todo')}; not applied: ${list(rest, 'todo')}. ` +
      'Re-run the stage once the cause is fixed: it re-reads the broker and applies only what still differs.',
    type,
  );
}

async function readSecret(secrets: SecretsManagerClient, id: string, what: string): Promise<string> {
  const { SecretString: value } = await call(`reading the ${what} secret ${id}`, secrets.send(new GetSecretValueCommand({ SecretId: id })));
  if (!value) throw new StepFailure(`the ${what} secret ${id} has no string value: store it as a SecretString`, 'ConfigurationError');
  return value;
}

async function readAdmin(secrets: SecretsManagerClient, id: string): Promise<{ username: string; password: string }> {
  const raw = await readSecret(secrets, id, 'broker admin');
  let parsed: { username?: unknown; password?: unknown } | undefined;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // parsed stays undefined: reported below without the value.
  }
  if (typeof parsed?.username !== 'string' || !parsed.username || typeof parsed.password !== 'string' || !parsed.password) {
    throw new StepFailure(
      `the broker admin secret ${id} must be JSON {"username": "...", "password": "..."} with both set (as Amazon MQ's console shows them)`,
      'ConfigurationError',
    );
  }
  return { username: parsed.username, password: parsed.password };
}

/** A user's password secret: a plain string, or JSON with a `password` key. */
function passwordOf(raw: string): string {
  try {
    const parsed = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null) return typeof parsed.password === 'string' ? parsed.password : '';
  } catch {
    // Not JSON: the whole value is the password.
  }
  return raw;
}

async function resolveDesired(secrets: SecretsManagerClient, config: BrokerConfig, admin: string): Promise<DesiredState> {
  if (config.users.some((u) => u.name === admin)) {
    throw new StepFailure(
      `broker.users declares '${admin}', the user of the broker admin secret ${config.adminSecret}: ` +
        'the admin is managed through its own secret; declare a separate user for the shop',
      'ConfigurationError',
    );
  }
  const ids = [...new Set(config.users.map((u) => u.passwordSecret))];
  const values = await Promise.all(ids.map(async (id) => [id, passwordOf(await readSecret(secrets, id, 'broker user password'))] as const));
  const passwords = new Map(values);
  for (const u of config.users) {
    if (!passwords.get(u.passwordSecret)) {
      throw new StepFailure(
        `the password secret ${u.passwordSecret} of broker user '${u.name}' is empty or JSON without a "password" key: store the password, or {"password": "..."}`,
        'ConfigurationError',
      );
    }
  }
  return {
    vhosts: config.vhosts,
    users: config.users.map((u) => ({ name: u.name, password: passwords.get(u.passwordSecret)!, tags: u.tags, permissions: u.permissions })),
    removeUndeclared: config.removeUndeclared,
    admin,
  };
}
