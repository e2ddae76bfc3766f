/**
 * The states timeline of one pipeline execution (issue 16): the risky windows a shop passes
 * during a deployment. Step handlers mark when a state began and ended; the report step, the
 * metrics and the rehearsal read the marks back. Shared by lib/ (report stage, dashboard) and
 * lambda/ (handlers), so it imports nothing but zod.
 */
import * as z from 'zod';

/** The risky states, in the order a run passes them (the report draws them in this order). */
export const TIMELINE_STATES = [
  /** Configure_RabbitMQ_Vhosts_and_Permissions changing vhosts, users or permissions. */
  'rabbitmqReconfiguring',
  /** Run_pre-deploy_hook's task running (SPRYKER_HOOK_BEFORE_DEPLOY, then scheduler:suspend). */
  'preDeployHook',
  /** From scheduler:suspend (pre-deploy hook) until scheduler:setup has run (Run_install). */
  'schedulerPaused',
  /** From Run_install's migrations starting until every application service runs V2. */
  'dbAheadOfServices',
  /** After scheduler:setup: publish and sync queues draining (Redis and search catching up). */
  'syncCatchUp',
  /** From the first service rollout starting until the last one completed (V1 and V2 mixed). */
  'mixedVersions',
  /** The 503 maintenance page on. */
  'maintenance',
] as const;

export const TimelineState = z.enum(TIMELINE_STATES);
export type TimelineState = z.infer<typeof TimelineState>;

export const TimelineEdge = z.enum(['start', 'end']);
export type TimelineEdge = z.infer<typeof TimelineEdge>;

/** Bump when the stored mark changes incompatibly; readers refuse a version they do not read. */
export const TIMELINE_VERSION = 1;

/** One edge of one state, as stored (step table, key `timelineKey(...)`). */
export const TimelineMark = z.object({
  v: z.literal(TIMELINE_VERSION),
  /** Epoch milliseconds: the precise time (task started/stopped, rollout started/completed), not when the handler noticed. */
  at: z.number().int().nonnegative(),
  /** Who marked it: `<stage>/<action>`. */
  by: z.string().min(1),
  /** A short fact for the report, e.g. `task 3f2a… exit 0` or `12 services`. */
  note: z.string().max(200).optional(),
});
export type TimelineMark = z.infer<typeof TimelineMark>;

/**
 * The step-table key of one edge. One key per (execution, state, edge), written with a claim
 * (first writer wins): a duplicate delivery or a retried stage never moves a recorded time.
 */
export const timelineKey = (executionId: string, state: TimelineState, edge: TimelineEdge) => `timeline#${executionId}#${state}#${edge}`;

/** One state of a run: an absent `endMs` means it had not ended when the timeline was read. */
export const TimelineSpan = z.object({
  state: TimelineState,
  startMs: z.number().int(),
  endMs: z.number().int().optional(),
  startNote: z.string().optional(),
  endNote: z.string().optional(),
});
export type TimelineSpan = z.infer<typeof TimelineSpan>;
