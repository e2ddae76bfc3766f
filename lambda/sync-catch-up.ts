/**
 * Sync_catch_up (issue 16): after Run_install's `scheduler:setup` the publish and sync queues fill,
 * and Redis and search are behind the database until they drain. This step watches the queues of
 * the store vhosts (management API) until every named queue holds no message, ready or
 * unacknowledged, for the settle period, and marks the end of the `syncCatchUp` state at the
 * moment they were first seen empty. Bounded: at `timeoutMinutes` it fails or warns, naming the
 * queues that still hold messages. In `measure` mode it never fails the stage it runs in, and it
 * ends when the rollout beside it ended (CodePipeline ends a stage only when all its actions have):
 * a measurement must not hold Deploy_Spryker_services, and the pipeline after it, until the queues
 * drained. The state then stays open in the report, as at the bound.
 */
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SyncCatchUpParams } from '../lib/contracts/sync-catch-up';
import { timelineKey } from '../lib/contracts/timeline';
import type { ManagementApiOptions } from './rabbitmq/api';
import { describeDepth, isEmpty, queueDepths, readBroker, type BrokerReader, type QueueDepth } from './rabbitmq/queues';
import { actionExecutions } from './runtime/action-executions';
import { defineStep, describeError, StepFailure, type StepContext, type StepDefinition, type StepResult } from './runtime/job';
import { pollWhileTimeRemains, TransientReadError, type PollState } from './runtime/poll';
import { markTimeline } from './runtime/timeline';

export type { SyncCatchUpParams } from '../lib/contracts/sync-catch-up';

/** Small and constant in size: it fits the continuation token whatever the number of queues. */
export interface SyncCatchUpState extends PollState {
  readonly v: 1;
  /** When the first invocation started watching. */
  readonly startedAt: number;
  /** Since when every queue has been seen empty without a break. */
  readonly emptySince?: number;
  /** The most messages seen at once in the named queues. */
  readonly peak: number;
}

export interface SyncCatchUpDeps {
  /** Time between two reads of the queues. @default POLL_INTERVAL_MS (5 s) */
  readonly intervalMs?: number;
  /** Timeouts and retries of management API requests. @default ManagementApi's */
  readonly api?: Pick<ManagementApiOptions, 'timeoutMs' | 'attempts' | 'backoffMs' | 'sleep'>;
}

/** Queues named in a failure or a summary; the rest are counted. */
const NAMED_QUEUES = 15;

export function syncCatchUpStep(deps: SyncCatchUpDeps = {}): StepDefinition<SyncCatchUpParams, SyncCatchUpState> {
  return {
    name: 'sync-catch-up',
    parseParams: (raw) => {
      const parsed = SyncCatchUpParams.safeParse(raw);
      if (parsed.success) return parsed.data;
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(parameters)'}: ${i.message}`).join('; ');
      throw new StepFailure(`sync-catch-up: invalid UserParameters: ${problems}: redeploy the pipeline stack`, 'ConfigurationError');
    },
    run: async (ctx, resumed) => {
      try {
        const broker = await readBroker({ ssm: ctx.client(SSMClient), secrets: ctx.client(SecretsManagerClient) }, ctx.params, deps.api);
        const state: SyncCatchUpState = resumed ?? { v: 1, startedAt: ctx.now(), peak: 0 };
        return await pollWhileTimeRemains(ctx, state, (s) => check(ctx, broker, s), { intervalMs: deps.intervalMs });
      } catch (err) {
        // Measuring must never fail (nor roll back) the rollout it runs beside.
        if (ctx.params.mode === 'measure') return { status: 'done', summary: `WARNING (measure only): the sync catch-up was not measured: ${describeError(err).message}` };
        throw err;
      }
    },
  };
}

export const handler = defineStep(syncCatchUpStep());

async function check(ctx: StepContext<SyncCatchUpParams>, broker: BrokerReader, s: SyncCatchUpState): Promise<StepResult<SyncCatchUpState>> {
  const p = ctx.params;
  let depths: QueueDepth[];
  try {
    depths = await queueDepths(broker.api, broker.vhosts, p.queues, p.ignore);
  } catch (err) {
    // A broker that refuses the admin will not change its mind; anything else may pass by the next check.
    if (err instanceof StepFailure && err.failureType === 'PermissionError') throw err;
    throw new TransientReadError(describeError(err).message);
  }
  const now = ctx.now();
  const busy = depths.filter((q) => !isEmpty(q));
  const total = busy.reduce((n, q) => n + (q.messages ?? 0), 0);
  const state: SyncCatchUpState = { ...s, peak: Math.max(s.peak, total), emptySince: busy.length ? undefined : (s.emptySince ?? now) };
  const where = `${broker.vhosts.length} vhost(s) of ${broker.api.origin}`;
  if (state.emptySince !== undefined) {
    const quiet = now - state.emptySince;
    if (quiet >= p.settleSeconds * 1000) return drained(ctx, state, depths, where);
    return { status: 'continue', state, summary: `${depths.length} queue(s) empty in ${where} for ${Math.round(quiet / 1000)} s; settling (${p.settleSeconds} s)` };
  }
  const waited = now - state.startedAt;
  const list = named(busy);
  if (p.mode === 'measure' && (await rolloutEnded(ctx))) {
    return { status: 'done', summary: `WARNING (measure only): the rollout beside this measurement ended with the sync queues still draining after ${Math.round(waited / 1000)} s: ${total} message(s) left in ${list}. Redis and search lag behind the release until they drain` };
  }
  if (waited >= p.timeoutMinutes * 60_000) {
    const message = `the sync queues did not drain within ${p.timeoutMinutes} min in ${where}: ${total} message(s) left in ${list}. Redis and search still lag behind the database: check that the scheduler's queue workers run (Jenkins queue:worker:start) and the queues' consumers`;
    if (p.mode === 'await' && p.onTimeout === 'fail') throw new StepFailure(`${message}; retry the stage once they drained, or raise syncCatchUp.timeout`);
    return { status: 'done', summary: `WARNING (${p.mode === 'measure' ? 'measure only' : 'onTimeout: warn'}): ${message}` };
  }
  return {
    status: 'continue',
    state,
    summary: `${total} message(s) in ${busy.length} queue(s) after ${Math.round(waited / 1000)} s (at most ${state.peak}): ${list}`,
    percentComplete: state.peak ? (100 * (state.peak - total)) / state.peak : 0,
  };
}

/**
 * Whether every other action of this stage (the rollout) has ended, in this execution. Unknown
 * (a read that fails) counts as not ended: the bound still ends the measurement.
 */
async function rolloutEnded(ctx: StepContext<SyncCatchUpParams>): Promise<boolean> {
  const { pipelineName, pipelineExecutionId, stageName, actionName } = ctx.job;
  try {
    const beside = (await actionExecutions(ctx.client(CodePipelineClient), pipelineName, pipelineExecutionId)).filter((d) => d.stageName === stageName && d.actionName !== actionName);
    return beside.length > 0 && beside.every((d) => d.status !== 'InProgress');
  } catch (err) {
    console.warn(JSON.stringify({ level: 'WARN', step: 'sync-catch-up', message: 'the rollout beside the measurement could not be read: measuring on', error: describeError(err).message }));
    return false;
  }
}

/** Marks the end of the state at the moment the queues were first seen empty (the start too, when no earlier step marked it). */
async function drained(ctx: StepContext<SyncCatchUpParams>, s: SyncCatchUpState, depths: QueueDepth[], where: string): Promise<StepResult<SyncCatchUpState>> {
  const executionId = ctx.job.pipelineExecutionId;
  const by = `${ctx.job.stageName}/${ctx.job.actionName}`;
  const noted = await ctx.records.get(timelineKey(executionId, 'syncCatchUp', 'start'));
  const start = await markTimeline(ctx.records, executionId, { state: 'syncCatchUp', edge: 'start', at: s.startedAt, by, note: noted === undefined ? 'when the measurement started' : undefined });
  const end = await markTimeline(ctx.records, executionId, { state: 'syncCatchUp', edge: 'end', at: s.emptySince!, by, note: `${depths.length} queue(s), at most ${s.peak} message(s)` });
  const seconds = Math.round((end - start) / 1000);
  const none = depths.length === 0 ? ` (no queue in ${where} matches ${ctx.params.queues.join(', ')}: check syncCatchUp.queues)` : '';
  return { status: 'done', summary: `sync queues drained ${seconds} s after ${noted === undefined ? 'the measurement started' : 'scheduler:setup'}: ${depths.length} queue(s) in ${where}, at most ${s.peak} message(s)${none}` };
}

function named(queues: QueueDepth[]): string {
  const sorted = [...queues].sort((a, b) => (b.messages ?? 0) - (a.messages ?? 0));
  const more = sorted.length - NAMED_QUEUES;
  return sorted.slice(0, NAMED_QUEUES).map(describeDepth).join(', ') + (more > 0 ? ` and ${more} more` : '');
}
