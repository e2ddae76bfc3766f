/**
 * Configure_RabbitMQ_Vhosts_and_Permissions' contracts: the action's UserParameters and the
 * broker's desired state, which the stack writes to SSM (`/{env}/pipeline/rabbitmq`) and the
 * handler parses before it reads a secret or sends a request. Secret ARNs only, never values.
 * Imports nothing but zod (lib/contracts/ is shared by lib/ and lambda/).
 */
import * as z from 'zod';
import { parseContract } from './issues';

/**
 * Bump when the shape changes incompatibly; the handler refuses a config of another version.
 * Version 1 gained optional fields (`forceRemoveVhostsWithMessages`, `caCertificate`) without a
 * bump: a value an older stack wrote still reads the same.
 */
export const BROKER_CONFIG_VERSION = 1;

/** The action's UserParameters (the stage exposes them to the destructive companion). */
export const RabbitMqParams = z.strictObject({
  /** SSM parameter holding the desired broker state. Absent: no broker, nothing to do. */
  config: z.string().min(1).optional(),
  /**
   * The broker endpoint, pinned by the stack: the desired state in SSM must name the same one.
   * Whoever may write `/{env}/pipeline/*` then still cannot send the credentials to another host.
   */
  endpoint: z.string().min(1).optional(),
  /** `broker.allowInsecureBrokerEndpoint`: an http endpoint is accepted. */
  allowInsecureEndpoint: z.boolean().optional(),
});
export type RabbitMqParams = z.infer<typeof RabbitMqParams>;

const name = z.string().min(1);

/** How every PEM certificate starts (the schema takes no private key, nothing else). */
export const PEM_CERTIFICATE_MARK = '-----BEGIN CERTIFICATE-----';

/** Permissions of one user on one vhost: RabbitMQ's three regular expressions (`''` grants nothing). */
export const DesiredPermission = z.strictObject({
  vhost: name,
  configure: z.string(),
  write: z.string(),
  read: z.string(),
});
export type DesiredPermission = z.infer<typeof DesiredPermission>;

export const DesiredUser = z.strictObject({
  name,
  /** Secret (ARN) holding the password: a plain string, or JSON with a `password` key. */
  passwordSecret: name,
  tags: z.array(name),
  /** Every permission of the user, defaults already applied by the stack. */
  permissions: z.array(DesiredPermission),
});
export type DesiredUser = z.infer<typeof DesiredUser>;

export const BrokerConfig = z
  .strictObject({
    v: z.literal(BROKER_CONFIG_VERSION),
    /** Management API base URL, without a trailing slash (the handler checks it against the pinned one). */
    endpoint: name,
    /** Secret (ARN) with `{"username": "...", "password": "..."}` of an administrator. */
    adminSecret: name,
    vhosts: z.array(name),
    users: z.array(DesiredUser),
    /** Delete vhosts, users and permissions that are not declared (never the admin, `/`, or Amazon MQ's own users). */
    removeUndeclared: z.boolean(),
    /** With removeUndeclared: also delete an undeclared vhost whose queues hold messages. Absent: false. */
    forceRemoveVhostsWithMessages: z.boolean().optional(),
    /** PEM certificate(s) of the CA that signed an https broker's certificate; public data. Absent: Node's public roots. */
    caCertificate: z.string().includes(PEM_CERTIFICATE_MARK, { error: `expected PEM certificates (${PEM_CERTIFICATE_MARK})` }).optional(),
  })
  .superRefine((config, ctx) => {
    // What the broker would refuse half-way through the plan is refused before it starts.
    const vhosts = new Set<string>();
    config.vhosts.forEach((v, i) => {
      if (vhosts.has(v)) ctx.addIssue({ code: 'custom', path: ['vhosts', i], message: `'${v}' is listed twice` });
      vhosts.add(v);
    });
    const users = new Set<string>();
    config.users.forEach((u, i) => {
      if (users.has(u.name)) ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `'${u.name}' is declared twice` });
      users.add(u.name);
      const permitted = new Set<string>();
      u.permissions.forEach((p, j) => {
        if (!vhosts.has(p.vhost)) ctx.addIssue({ code: 'custom', path: ['users', i, 'permissions', j, 'vhost'], message: `'${p.vhost}' is not among vhosts` });
        if (permitted.has(p.vhost)) ctx.addIssue({ code: 'custom', path: ['users', i, 'permissions', j, 'vhost'], message: `'${p.vhost}' has a permission already` });
        permitted.add(p.vhost);
      });
    });
  });
export type BrokerConfig = z.infer<typeof BrokerConfig>;

/**
 * Parses a contract value with the shared wording (lib/contracts/issues.ts), every problem at once,
 * each path under `prefix` (where the value comes from, e.g. `broker`).
 */
export function checkContract<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): { readonly data: T } | { readonly problems: string[] } {
  const parsed = parseContract(schema, value);
  if (parsed.ok) return { data: parsed.value };
  const under = (problem: string) => (!prefix ? problem : problem.startsWith('[') ? `${prefix}${problem}` : /^[\w$-]+[.:[]/.test(problem) ? `${prefix}.${problem}` : `${prefix}: ${problem}`);
  return { problems: parsed.problems.map(under) };
}
