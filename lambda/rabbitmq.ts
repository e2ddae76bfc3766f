/**
 * Configure_RabbitMQ_Vhosts_and_Permissions: reads the declared broker state (SSM) and the
 * broker's current state (management API), plans the difference and applies it, so that a
 * deployment that changes nothing on the broker sends no write request at all.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ManagementApi, ManagementApiError, seg, type ManagementApiOptions } from './rabbitmq/api';
import { parseBrokerConfig, parseRabbitMqParams, type BrokerConfig, type RabbitMqParams } from './rabbitmq/config';
import { vhostsHoldingMessages, type HeldMessages } from './rabbitmq/guard';
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
import { markTimeline } from './runtime/timeline';

export type { RabbitMqParams } from './rabbitmq/config';

/** Continuation state: what earlier invocations of this job applied, and a write whose answer they did not get. */
export interface RabbitMqState {
  readonly applied: ChangeCounts;
  /** Sent, but the invocation's time ran out before the answer: the next invocation checks it against the broker. */
  readonly unknown?: Change;
}

export interface RabbitMqDeps {
  /** Timeouts, retries and backoff of management API requests. @default ManagementApi's */
  readonly api?: Pick<ManagementApiOptions, 'timeoutMs' | 'attempts' | 'backoffMs' | 'sleep'>;
}

/** Kept back from the broker's requests for the answer to CodePipeline and the timeline's end mark. */
export const REPORT_RESERVE_MS = 5000;
/**
 * A write starts only with this much of the budget left. Far below one request's worst case
 * (3 × 10 s): a request's timeout shrinks to the budget, and a write cut short is checked by the
 * next invocation, so any Lambda timeout the construct allows makes progress.
 */
export const MIN_WRITE_MS = 2000;

/** The step; integration tests run it, through defineStep, against a real broker. */
export function rabbitMqStep(deps: RabbitMqDeps = {}): StepDefinition<RabbitMqParams, RabbitMqState> {
  return {
    name: 'rabbitmq',
    parseParams: parseRabbitMqParams,
    run: async (ctx, state) => {
      if (!ctx.params.config) return { status: 'done', summary: 'no broker configured: nothing to do' };
      const secrets = ctx.client(SecretsManagerClient);
      const out = await call(`reading the broker config ${ctx.params.config} (SSM)`, ctx.client(SSMClient).send(new GetParameterCommand({ Name: ctx.params.config })));
      const config = parseBrokerConfig(ctx.params.config, out.Parameter?.Value);
      // Before any secret is read: the credentials go only where the stack says.
      checkEndpoint(ctx.params, ctx.params.config, config.endpoint);
      const desired = await resolveDesired(secrets, config);
      const api = new ManagementApi({
        endpoint: config.endpoint,
        ...desired.adminCredentials,
        caCertificate: config.caCertificate,
        budgetMs: () => ctx.remainingMs() - REPORT_RESERVE_MS,
        secrets: desired.users.map((u) => u.password),
        ...deps.api,
      });
      // An earlier invocation of this job wrote: the window it opened is this job's to close.
      const timeline = new Timeline(ctx, Object.keys(state?.applied ?? {}).length > 0 || state?.unknown !== undefined);
      try {
        return await reconcile(ctx, api, config, desired, state, timeline);
      } catch (err) {
        // A read cut short by the invocation's end: nothing was written in this invocation, the next one starts over.
        if (err instanceof ManagementApiError && err.cutShort) return { status: 'continue', state: state ?? { applied: {} }, summary: `${api.origin}: too little time left to read the broker, continuing` };
        // Whatever went wrong, no password leaves in the message.
        const { message, type } = describeError(err);
        const redacted = api.redact(message);
        await timeline.end(`failed: ${redacted}`);
        throw new StepFailure(redacted, type);
      } finally {
        api.close();
      }
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

const sameChange = (a: Change, b: Change) => describeChange(a, 'todo') === describeChange(b, 'todo');

/** Plans against the broker as it is now, refuses what would lose messages, then applies. */
async function reconcile(
  ctx: StepContext<RabbitMqParams>,
  api: ManagementApi,
  config: BrokerConfig,
  desired: DesiredState,
  state: RabbitMqState | undefined,
  timeline: Timeline,
): Promise<StepResult<RabbitMqState>> {
  const changes = planChanges(desired, await readBroker(api));
  let before = state?.applied ?? {};
  let checked = '';
  if (state?.unknown) {
    // The broker is the record of what happened: the write is either still planned or done.
    const applied = !changes.some((c) => sameChange(c, state.unknown!));
    if (applied) before = countChanges([state.unknown], before);
    checked = `; the answer to ${describeChange(state.unknown, 'todo')} was lost in the previous invocation: ${applied ? 'it was applied' : 'it was not applied, applied now'}`;
  }
  console.log(JSON.stringify({ broker: api.origin, plan: changes.map((c) => describeChange(c, 'todo')), ...(checked && { checked: checked.slice(2) }) }));
  if (!config.forceRemoveVhostsWithMessages) {
    const held = await vhostsHoldingMessages(api, changes.flatMap((c) => (c.kind === 'vhost' && c.action === 'delete' ? [c.vhost] : [])));
    if (held.length) throw refusal(held, timeline.opened ? 'nothing more was written (earlier invocations of this job applied part of the plan)' : 'nothing was written');
  }
  if (changes.length === 0) {
    // A job that wrote in an earlier invocation closes the window it opened, even with nothing left to do.
    await timeline.end(`done: ${summarize(before)}`);
    return { status: 'done', summary: `${api.origin}: ${summarize(before)}${checked}` };
  }
  await timeline.start(`${changes.length} changes planned`);
  const users = new Map(desired.users.map((u) => [u.name, u]));
  const applied: Change[] = [];
  const handBack = (unknown?: Change): StepResult<RabbitMqState> => ({
    status: 'continue',
    state: { applied: countChanges(applied, before), ...(unknown && { unknown }) },
    summary: `${applied.length} of ${changes.length} changes applied to ${api.origin}${unknown ? `, ${describeChange(unknown, 'todo')}: outcome unknown (no time left for its answer), checked in the next invocation` : ''}, continuing${checked}`,
    percentComplete: (100 * applied.length) / changes.length,
  });
  for (const [i, change] of changes.entries()) {
    if (ctx.remainingMs() - REPORT_RESERVE_MS < MIN_WRITE_MS) return handBack();
    let sent = false;
    try {
      if (change.kind === 'vhost' && change.action === 'delete' && !config.forceRemoveVhostsWithMessages) {
        // Messages may have arrived since the plan: checked again right before the delete.
        const held = await vhostsHoldingMessages(api, [change.vhost]);
        if (held.length) throw refusal(held, 'the vhost was not deleted');
      }
      sent = true;
      await write(api, change, users);
    } catch (err) {
      if (err instanceof ManagementApiError && err.cutShort) return handBack(sent && err.outcome === 'unknown' ? change : undefined);
      const failure = halfApplied(applied, change, changes.slice(i + 1), err);
      await timeline.end(`failed: ${describeChange(change, 'todo')}`);
      throw failure;
    }
    applied.push(change);
  }
  const counts = countChanges(applied, before);
  await timeline.end(`done: ${summarize(counts)}`);
  return { status: 'done', summary: `${api.origin}: ${summarize(counts)}${checked}` };
}

/** The rabbitmqReconfiguring window: opened before the first write, closed when writing ends. */
class Timeline {
  private readonly by: string;
  /** @param opened whether the window is open already (an earlier invocation of the job wrote) */
  constructor(private readonly ctx: StepContext<RabbitMqParams>, public opened: boolean) {
    this.by = `${ctx.job.stageName}/${ctx.job.actionName}`;
  }

  /** Must succeed: nothing is written yet, so a failure costs only a retry. (A mark is a claim: a resumed job keeps the first.) */
  async start(note: string): Promise<void> {
    this.opened = true;
    await markTimeline(this.ctx.records, this.ctx.job.pipelineExecutionId, { state: 'rabbitmqReconfiguring', edge: 'start', at: this.ctx.now(), by: this.by, note });
  }

  /** Best effort: after writes, a lost mark must not turn the job's outcome around. */
  async end(note: string): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    try {
      await markTimeline(this.ctx.records, this.ctx.job.pipelineExecutionId, { state: 'rabbitmqReconfiguring', edge: 'end', at: this.ctx.now(), by: this.by, note });
    } catch (err) {
      console.warn(JSON.stringify({ level: 'WARN', timeline: 'rabbitmqReconfiguring end not recorded', error: describeError(err).message }));
    }
  }
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

/** Names each vhost and its queues with their message counts. */
function refusal(held: HeldMessages[], what: string): StepFailure {
  const list = held.map(({ vhost, queues, more }) => `vhost ${vhost}: ${queues.map((q) => `queue ${q.name} (${q.messages === undefined ? 'message count not known yet' : `${q.messages} messages`})`).join(', ')}${more ? ` and ${more} more` : ''}`);
  return new StepFailure(
    `removeUndeclared would delete ${held.length === 1 ? 'a vhost that holds' : `${held.length} vhosts that hold`} messages, with them: ${list.join('; ')}. ` +
      `Refused, ${what}. Let the consumers drain the queues (or purge them), declare the vhost in broker.vhosts again to keep it, ` +
      'or set broker.forceRemoveVhostsWithMessages: true to delete it with its messages',
    'JobFailed',
  );
}

/** The failure of a half-applied plan: what was applied, what failed (or may have been applied) and why, what was not. */
function halfApplied(applied: Change[], failed: Change, rest: Change[], err: unknown): StepFailure {
  const { message, type } = describeError(err);
  const list = (cs: Change[], tense: 'done' | 'todo') =>
    cs.length === 0 ? 'none' : cs.slice(0, 10).map((c) => describeChange(c, tense)).join(', ') + (cs.length > 10 ? ` and ${cs.length - 10} more` : '');
  const total = applied.length + 1 + rest.length;
  const unknown = err instanceof ManagementApiError && err.outcome === 'unknown';
  return new StepFailure(
    `${message}. Plan half-applied: ${applied.length} of ${total} changes applied (${list(applied, 'done')}); ` +
      `${unknown ? 'outcome unknown, will be checked on retry' : 'failed'}: ${describeChange(failed, 'todo')}; not applied: ${list(rest, 'todo')}. ` +
      'Re-run the stage once the cause is fixed: it re-reads the broker and applies only what still differs.',
    type,
  );
}

/** A configured secret, as its prop names it, e.g. `broker.users[1].passwordSecret (user 'reader')`. */
interface SecretRef {
  readonly id: string;
  readonly what: string;
  readonly fields: string[];
}

/** The secret's string value, or the problem with it (a missing secret is a configuration problem, not a failed job). */
async function readSecret(secrets: SecretsManagerClient, ref: SecretRef): Promise<{ value: string } | { problem: StepFailure }> {
  const where = `the ${ref.what} secret ${ref.id} (${ref.fields.join(', ')})`;
  try {
    const { SecretString: value } = await secrets.send(new GetSecretValueCommand({ SecretId: ref.id }));
    if (!value) return { problem: new StepFailure(`${where} has no string value: store it as a SecretString`, 'ConfigurationError') };
    return { value };
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e?.name === 'ResourceNotFoundException' || (e?.name === 'InvalidRequestException' && /deletion/i.test(e.message ?? ''))) {
      return { problem: new StepFailure(`${where} does not exist or is scheduled for deletion: create (or restore) it, or point ${ref.fields[0]} at an existing secret and redeploy the stack`, 'ConfigurationError') };
    }
    const { message, type } = describeError(err);
    return { problem: new StepFailure(`reading ${where} failed: ${message}`, type) };
  }
}

function adminCredentials(ref: SecretRef, raw: string): { username: string; password: string } | StepFailure {
  let parsed: { username?: unknown; password?: unknown } | undefined;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // parsed stays undefined: reported below without the value.
  }
  if (typeof parsed?.username !== 'string' || !parsed.username || typeof parsed.password !== 'string' || !parsed.password) {
    return new StepFailure(`the broker admin secret ${ref.id} must be JSON {"username": "...", "password": "..."} with both set (as Amazon MQ's console shows them)`, 'ConfigurationError');
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

type ResolvedState = DesiredState & { readonly adminCredentials: { username: string; password: string } };

/** Reads every secret at once and reports every problem with them in one failure, before any request to the broker. */
async function resolveDesired(secrets: SecretsManagerClient, config: BrokerConfig): Promise<ResolvedState> {
  const adminRef: SecretRef = { id: config.adminSecret, what: 'broker admin', fields: ['broker.adminSecret'] };
  const userRefs = new Map<string, SecretRef>();
  config.users.forEach((u, i) => {
    const ref = userRefs.get(u.passwordSecret) ?? { id: u.passwordSecret, what: 'broker user password', fields: [] };
    ref.fields.push(`broker.users[${i}].passwordSecret (user '${u.name}')`);
    userRefs.set(u.passwordSecret, ref);
  });
  const [adminRead, ...userReads] = await Promise.all([adminRef, ...userRefs.values()].map((ref) => readSecret(secrets, ref)));
  const problems: StepFailure[] = [];
  let admin: { username: string; password: string } | undefined;
  if ('problem' in adminRead) problems.push(adminRead.problem);
  else {
    const parsed = adminCredentials(adminRef, adminRead.value);
    if (parsed instanceof StepFailure) problems.push(parsed);
    else admin = parsed;
  }
  const passwords = new Map<string, string>();
  [...userRefs.values()].forEach((ref, i) => {
    const read = userReads[i];
    if ('problem' in read) return void problems.push(read.problem);
    const password = passwordOf(read.value);
    if (!password) {
      problems.push(new StepFailure(`the password secret ${ref.id} (${ref.fields.join(', ')}) is empty or JSON without a "password" key: store the password, or {"password": "..."}`, 'ConfigurationError'));
    }
    passwords.set(ref.id, password);
  });
  if (admin && config.users.some((u) => u.name === admin.username)) {
    problems.push(
      new StepFailure(
        `broker.users declares '${admin.username}', the user of the broker admin secret ${config.adminSecret}: the admin is managed through its own secret; declare a separate user for the shop`,
        'ConfigurationError',
      ),
    );
  }
  if (problems.length) {
    // A configuration problem wins over a transient one: fixing it is needed anyway.
    const type = problems.find((p) => p.failureType === 'ConfigurationError')?.failureType ?? problems[0].failureType;
    throw new StepFailure(`${problems.map((p) => p.message).join('; ')} (nothing was sent to the broker)`, type);
  }
  return {
    vhosts: config.vhosts,
    users: config.users.map((u) => ({ name: u.name, password: passwords.get(u.passwordSecret)!, tags: u.tags, permissions: u.permissions })),
    removeUndeclared: config.removeUndeclared,
    admin: admin!.username,
    adminCredentials: admin!,
  };
}
