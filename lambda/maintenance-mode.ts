/**
 * Maintenance mode on the shop's ALB listener: a rule of top priority answers every request with
 * 503 and the maintenance page; allow-listed source IPs still reach the shop.
 *
 * ALB conditions cannot negate ("not from these IPs"), and the shop usually routes by host
 * (yves, glue, backoffice, ...): so for allow-listed IPs, every rule of the listener (and its
 * default action) is cloned above the 503 rule with an added source-ip condition. Allow-listed
 * visitors see exactly the routing they saw before; everyone else meets the 503 rule.
 *
 * The rules are created and deleted at run time (CloudFormation does not own the on/off state)
 * and found again by their tags, so enabling and disabling are idempotent. Enabling creates the
 * clones before the 503 rule and disabling deletes the 503 rule first: no visitor on the
 * allow-list is ever blocked, and an interrupted enable leaves only harmless clones that the
 * next enable or disable removes.
 */
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  type Action,
  type Rule,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CodePipelineClient, ListActionExecutionsCommand, type ActionExecutionDetail } from '@aws-sdk/client-codepipeline';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CodePipelineEvent, Context } from 'aws-lambda';
import { call, defineStep, describeError, environmentPipelines, StepFailure, type ClientConfig, type StepDefinition } from './runtime/job';
import { parseParams } from './runtime/params';
import { parseStackJson } from './runtime/stack-json';
import { parseContract } from '../lib/contracts/issues';
import { LiftAfterExecution, MAINTENANCE_CONFIG_VERSION, MaintenanceConfig, MaintenanceParams } from '../lib/contracts/maintenance';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StepTable } from './runtime/records';
import { markAll } from './runtime/timeline';

/** Tags that mark the rules as ours: the environment, and the rule's role. */
export const TAG_ENV = 'spryker:maintenance';
export const TAG_ROLE = 'spryker:maintenance-role';
/**
 * On the 503 rule: who turned maintenance on (the pipeline execution id of a maintenance-wrapped
 * Run_install). The rule and its tags are created in one CreateRule, and ALB refuses a second rule
 * at the same priority: the ownership record is taken atomically, with the switch itself.
 */
export const TAG_OWNER = 'spryker:maintenance-owner';

/** ALB: at most 5 condition values in one rule (all conditions together). */
const MAX_CONDITION_VALUES = 5;
/** DescribeTags takes at most 20 ARNs. */
const TAGS_BATCH = 20;

type Role = 'allow' | 'block';

export async function loadMaintenanceConfig(ssm: SSMClient, name: string): Promise<MaintenanceConfig> {
  const out = await call(`SSM GetParameter ${name}`, ssm.send(new GetParameterCommand({ Name: name })));
  return parseStackJson('maintenance configuration', name, out.Parameter?.Value, MAINTENANCE_CONFIG_VERSION, MaintenanceConfig);
}

export interface Enabled {
  /** One line for the console. */
  readonly summary: string;
  /** Maintenance was on before (someone else turned it on): whoever turned it on lifts it. */
  readonly wasOn: boolean;
  /** The owner tag of the 503 rule (absent: turned on by the maintenance pipeline or by hand). */
  readonly owner?: string;
}

/** Turns maintenance on (idempotent); `owner` goes on the 503 rule (see TAG_OWNER). */
export async function enableMaintenance(elb: ElasticLoadBalancingV2Client, config: MaintenanceConfig, owner?: string): Promise<Enabled> {
  try {
    return await switchOn(elb, config, owner);
  } catch (err) {
    // A concurrent enable took the priorities first: report whose maintenance it is.
    if ((err as Error).name !== 'PriorityInUseException') throw err;
    const { block } = await readListener(elb, config);
    if (!block) throw err;
    return { summary: `maintenance of ${config.env} was turned on meanwhile (listener ${config.listenerArn})`, wasOn: true, owner: block.owner };
  }
}

async function switchOn(elb: ElasticLoadBalancingV2Client, config: MaintenanceConfig, owner: string | undefined): Promise<Enabled> {
  const { rules, ours, block } = await readListener(elb, config);
  const where = `listener ${config.listenerArn}`;
  if (block) return { summary: `maintenance of ${config.env} was already on (${where})`, wasOn: true, owner: block.owner };
  // Clones left by an interrupted enable are rebuilt from the listener's current rules.
  await deleteRules(elb, [...ours.keys()]);

  const theirs = rules.filter((r) => !r.IsDefault && !ours.has(r.RuleArn!)).sort((a, b) => Number(a.Priority) - Number(b.Priority));
  const defaultRule = rules.find((r) => r.IsDefault);
  const { clones, uncovered } = config.allowedIps.length
    ? planClones([...theirs, ...(defaultRule ? [defaultRule] : [])], config.allowedIps)
    : { clones: [], uncovered: [] };

  const last = config.priority + clones.length;
  const first = theirs[0];
  if (first && Number(first.Priority) <= last) {
    throw new StepFailure(
      `cannot enable maintenance of ${config.env} on ${where}: it needs rule priorities ${config.priority}-${last} ` +
        `(${clones.length} allow-list rule(s) and the 503 rule) above every other rule, but rule ${first.RuleArn} has priority ${first.Priority}. ` +
        `Give the shop's own listener rules priorities above ${last} (e.g. from 100)${config.priority > 1 ? ', or lower maintenance.priority' : ''}. Nothing was changed.`,
    );
  }
  let priority = config.priority;
  for (const clone of clones) await createRule(elb, config, 'allow', priority++, clone.conditions, clone.actions);
  await createRule(
    elb,
    config,
    'block',
    priority,
    [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
    [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: config.contentType, MessageBody: config.page } }],
    owner,
  );
  const allow = config.allowedIps.length ? `; ${config.allowedIps.join(', ')} still reach the shop through ${clones.length} rule(s)` : '';
  const gaps = uncovered.length ? `; not covered for the allow-list: ${uncovered.join('; ')}` : '';
  return { summary: `maintenance of ${config.env} on: 503 for everyone else (${where})${allow}${gaps}`, wasOn: false, owner };
}

/** Turns maintenance off (idempotent): the 503 rule first, then the allow-list clones. */
export async function disableMaintenance(elb: ElasticLoadBalancingV2Client, config: MaintenanceConfig): Promise<string> {
  const { ours } = await readListener(elb, config);
  if (ours.size === 0) return `maintenance of ${config.env} was already off (listener ${config.listenerArn})`;
  const byRole = (role: Role) => [...ours].filter(([, r]) => r === role).map(([arn]) => arn);
  await deleteRules(elb, byRole('block'));
  await deleteRules(elb, byRole('allow'));
  return `maintenance of ${config.env} off: ${ours.size} rule(s) removed (listener ${config.listenerArn})`;
}

/**
 * Lifts maintenance only if `owner` turned it on: the out-of-band lift after a maintenance-wrapped
 * Run_install ended without our handler (a lost continuation, a stopped or abandoned execution).
 */
export async function disableMaintenanceOwnedBy(elb: ElasticLoadBalancingV2Client, config: MaintenanceConfig, owner: string): Promise<{ lifted: boolean; summary: string }> {
  const { block } = await readListener(elb, config);
  if (!block) return { lifted: false, summary: `maintenance of ${config.env} is off` };
  if (block.owner !== owner) {
    return { lifted: false, summary: `maintenance of ${config.env} is on, turned on by ${block.owner ?? 'the maintenance pipeline or by hand'}, not by ${owner}: left on` };
  }
  return { lifted: true, summary: await disableMaintenance(elb, config) };
}

/** The listener's rules and, among them, ours (ARN → role), and the 503 rule with its owner. */
async function readListener(elb: ElasticLoadBalancingV2Client, config: MaintenanceConfig) {
  const rules: Rule[] = [];
  let marker: string | undefined;
  do {
    const page = await elb.send(new DescribeRulesCommand({ ListenerArn: config.listenerArn, Marker: marker, PageSize: 400 }));
    rules.push(...(page.Rules ?? []));
    marker = page.NextMarker;
  } while (marker);
  const ours = new Map<string, Role>();
  let block: { arn: string; owner?: string } | undefined;
  const arns = rules.filter((r) => !r.IsDefault).map((r) => r.RuleArn!);
  for (let i = 0; i < arns.length; i += TAGS_BATCH) {
    const out = await elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + TAGS_BATCH) }));
    for (const d of out.TagDescriptions ?? []) {
      const tag = (key: string) => d.Tags?.find((t) => t.Key === key)?.Value;
      if (tag(TAG_ENV) !== config.env) continue;
      ours.set(d.ResourceArn!, tag(TAG_ROLE) === 'block' ? 'block' : 'allow');
      if (tag(TAG_ROLE) === 'block') block = { arn: d.ResourceArn!, owner: tag(TAG_OWNER) };
    }
  }
  return { rules, ours, block };
}

interface Clone {
  readonly conditions: RuleCondition[];
  readonly actions: Action[];
}

/**
 * For each rule (in priority order, the default rule last): the same conditions plus a source-ip
 * condition, split so that no clone exceeds ALB's 5 condition values.
 */
export function planClones(rules: Rule[], allowedIps: string[]): { clones: Clone[]; uncovered: string[] } {
  const clones: Clone[] = [];
  const uncovered: string[] = [];
  for (const rule of rules) {
    const name = rule.IsDefault ? 'the default action' : `rule ${rule.RuleArn} (priority ${rule.Priority})`;
    const conditions = (rule.Conditions ?? []).map(configOnly);
    if (conditions.some((c) => c.Field === 'source-ip')) {
      uncovered.push(`${name} already matches source IPs`);
      continue;
    }
    if ((rule.Actions ?? []).some((a) => a.Type === 'authenticate-oidc')) {
      uncovered.push(`${name} authenticates with OIDC, whose client secret cannot be read to copy it`);
      continue;
    }
    const room = MAX_CONDITION_VALUES - conditions.reduce((n, c) => n + conditionValues(c), 0);
    if (room < 1) {
      uncovered.push(`${name} already uses all ${MAX_CONDITION_VALUES} condition values`);
      continue;
    }
    for (let i = 0; i < allowedIps.length; i += room) {
      clones.push({
        conditions: [...conditions, { Field: 'source-ip', SourceIpConfig: { Values: allowedIps.slice(i, i + room) } }],
        actions: rule.Actions ?? [],
      });
    }
  }
  return { clones, uncovered };
}

/** DescribeRules returns both the legacy `Values` and the `...Config`; CreateRule takes one of them. */
function configOnly(condition: RuleCondition): RuleCondition {
  const { Values, ...rest } = condition;
  return Object.keys(rest).some((k) => k.endsWith('Config')) ? rest : { ...rest, Values };
}

function conditionValues(condition: RuleCondition): number {
  if (condition.Values) return condition.Values.length;
  return Object.entries(condition)
    .filter(([k]) => k.endsWith('Config'))
    .reduce((n, [, cfg]) => n + ((cfg as { Values?: unknown[] }).Values?.length ?? 0) + ((cfg as { RegexValues?: unknown[] }).RegexValues?.length ?? 0), 0);
}

async function createRule(
  elb: ElasticLoadBalancingV2Client,
  config: MaintenanceConfig,
  role: Role,
  priority: number,
  conditions: RuleCondition[],
  actions: Action[],
  owner?: string,
): Promise<void> {
  await elb.send(
    new CreateRuleCommand({
      ListenerArn: config.listenerArn,
      Priority: priority,
      Conditions: conditions,
      Actions: actions,
      Tags: [
        { Key: TAG_ENV, Value: config.env },
        { Key: TAG_ROLE, Value: role },
        ...(owner ? [{ Key: TAG_OWNER, Value: owner }] : []),
      ],
    }),
  );
}

async function deleteRules(elb: ElasticLoadBalancingV2Client, arns: string[]): Promise<void> {
  for (const arn of arns) {
    try {
      await elb.send(new DeleteRuleCommand({ RuleArn: arn }));
    } catch (err) {
      // Deleted meanwhile (a duplicate delivery of the job): the goal is reached.
      if ((err as Error).name !== 'RuleNotFoundException') throw err;
    }
  }
}

export const step: StepDefinition<MaintenanceParams, never> = {
  name: 'maintenance-mode',
  parseParams: (raw) => parseParams('maintenance-mode', raw, MaintenanceParams),
  run: async (ctx) => {
    const { config: name, mode } = ctx.params;
    const config = await loadMaintenanceConfig(ctx.client(SSMClient), name);
    const elb = ctx.client(ElasticLoadBalancingV2Client);
    const on = mode === 'enable' ? await enableMaintenance(elb, config) : undefined;
    const summary = on ? on.summary : await disableMaintenance(elb, config);
    console.log(JSON.stringify({ step: 'maintenance-mode', mode, summary }));
    // This execution's timeline (ELB gives no time of its own): on only if this action turned it on.
    if (!on?.wasOn) await markAll(ctx.records, ctx.job.pipelineExecutionId, [{ state: 'maintenance', edge: on ? 'start' : 'end', at: ctx.now(), by: `${ctx.job.stageName}/${ctx.job.actionName}` }]);
    return { status: 'done', summary };
  },
};

/** Lift attempts before the out-of-band lift gives up and says maintenance is still on. */
const LIFT_ATTEMPTS = 3;

/**
 * Whether CodePipeline confirms the event: the pipeline is one of the environment's, and every
 * action execution of that pipeline execution that turns this maintenance on (its UserParameters
 * name the config) is over. Which actions count comes from CodePipeline, not from the event's
 * stage name, and a Retry (same execution id, a new action execution) keeps the lift off while
 * the retried action runs. Source: ListActionExecutions with filter.pipelineExecutionId
 * (ActionExecutionDetail: pipelineExecutionId, actionExecutionId, stageName, actionName, status
 * InProgress | Abandoned | Succeeded | Failed, input.configuration).
 */
async function confirmEnded(
  codepipeline: CodePipelineClient,
  input: LiftAfterExecution['liftAfterExecution'],
  pipelines: readonly string[],
): Promise<{ refused?: string; running?: boolean }> {
  if (!pipelines.includes(input.pipeline)) return { refused: `pipeline ${input.pipeline} is not one of this environment's (${pipelines.join(', ') || 'none configured'})` };
  const details: ActionExecutionDetail[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await codepipeline.send(new ListActionExecutionsCommand({ pipelineName: input.pipeline, filter: { pipelineExecutionId: input.executionId }, nextToken }));
      details.push(...(page.actionExecutionDetails ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'PipelineExecutionNotFoundException' || name === 'PipelineNotFoundException') {
      return { refused: `CodePipeline knows no execution ${input.executionId} of pipeline ${input.pipeline} (${name})` };
    }
    throw err;
  }
  const wrapped = details.filter((d) => d.pipelineExecutionId === input.executionId && maintenanceOf(d) === input.config);
  if (!wrapped.length) return { refused: `CodePipeline lists no action of execution ${input.executionId} of ${input.pipeline} that turns on maintenance ${input.config}` };
  const running = wrapped.filter((d) => d.status === 'InProgress');
  if (running.length) {
    const which = running.map((d) => `${d.stageName}/${d.actionName} (action execution ${d.actionExecutionId})`).join(', ');
    return { refused: `CodePipeline shows ${which} of execution ${input.executionId} still in progress`, running: true };
  }
  return {};
}

/** The maintenance config a Run_install action execution names in its UserParameters (RunHookParams.maintenance). */
function maintenanceOf(detail: ActionExecutionDetail): string | undefined {
  try {
    const params = JSON.parse(detail.input?.configuration?.UserParameters ?? '') as { maintenance?: unknown };
    return typeof params?.maintenance === 'string' ? params.maintenance : undefined;
  } catch {
    return undefined;
  }
}

export async function liftAfterExecution(
  input: LiftAfterExecution['liftAfterExecution'],
  deps: { clientConfig?: ClientConfig; sleep?: (ms: number) => Promise<void>; pipelines?: readonly string[]; table?: string; now?: () => number } = {},
): Promise<{ lifted: boolean; summary: string }> {
  const where = `${input.pipeline} execution ${input.executionId}, stage ${input.stage} ${input.state}`;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const pipelines = deps.pipelines ?? environmentPipelines();
  // One client per service for all attempts.
  const clientConfig = deps.clientConfig ?? {};
  const codepipeline = new CodePipelineClient(clientConfig);
  const ssm = new SSMClient(clientConfig);
  const elb = new ElasticLoadBalancingV2Client(clientConfig);
  let last: unknown;
  for (let attempt = 1; attempt <= LIFT_ATTEMPTS; attempt++) {
    try {
      const check = await confirmEnded(codepipeline, input, pipelines);
      // An action CodePipeline still shows running may be the event's own, not yet recorded as over: look again.
      if (check.running && attempt < LIFT_ATTEMPTS) {
        await sleep(2000 * attempt);
        continue;
      }
      if (check.refused) {
        console.warn(JSON.stringify({ level: 'WARN', step: 'maintenance-mode', liftAfter: where, refused: check.refused, note: 'maintenance left as it is' }));
        return { lifted: false, summary: `not lifted: ${check.refused}` };
      }
      const config = await loadMaintenanceConfig(ssm, input.config);
      const out = await disableMaintenanceOwnedBy(elb, config, input.executionId);
      console.log(JSON.stringify({ step: 'maintenance-mode', liftAfter: where, ...out }));
      const table = deps.table ?? process.env.STEP_TABLE;
      // The execution's timeline: its maintenance ended here, not in its own stage.
      if (out.lifted && table) {
        const records = new StepTable(new DynamoDBClient(clientConfig), table, deps.now ?? Date.now, call).records();
        await markAll(records, input.executionId, [{ state: 'maintenance', edge: 'end', at: (deps.now ?? Date.now)(), by: 'maintenance-lift', note: `after ${input.stage} ${input.state}` }]);
      }
      return out;
    } catch (err) {
      last = err;
      await sleep(2000 * attempt);
    }
  }
  const message = `MAINTENANCE IS STILL ON after ${where}: lifting it failed (${describeError(last).message}); run the pipeline ${input.config.split('/')[1]}-maintenance-disable, or delete the listener rules tagged ${TAG_ENV}`;
  console.error(JSON.stringify({ step: 'maintenance-mode', error: message }));
  throw new Error(message);
}

const stepHandler = defineStep(step);

/** Pipeline jobs (enable/disable actions) and the out-of-band lift after an execution ended. */
export const handler = async (event: CodePipelineEvent | LiftAfterExecution, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> => {
  if ('liftAfterExecution' in event) {
    const lift = parseContract(LiftAfterExecution, event);
    // Thrown before anything is read: EventBridge retries, then the dead-letter queue keeps the event.
    if (!lift.ok) throw new Error(`maintenance lift event refused, nothing done: ${lift.problems.join('; ')} (SprykerMaintenance.liftAfter's rule writes it: redeploy the pipeline stack)`);
    await liftAfterExecution(lift.value.liftAfterExecution);
    return;
  }
  await stepHandler(event, context);
};
