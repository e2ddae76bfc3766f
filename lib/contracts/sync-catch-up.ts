/**
 * The Sync_catch_up step's UserParameters (issue 16): the stage construct renders them, the
 * handler parses them with this schema; both take their type from it. Names and numbers only:
 * a 50-service shop renders the same few hundred characters (UserParameters hold 1000).
 */
import * as z from 'zod';

export { DEFAULT_IGNORED_QUEUES, DEFAULT_SYNC_QUEUES } from './sync-queues';

/** A queue-name pattern: literal characters and `*` (any run of characters). */
export const QueuePattern = z.string().regex(/^[\w.*:-]{1,255}$/, 'use letters, digits and . _ - : with * as a wildcard');

export const SyncCatchUpParams = z.object({
  /** The broker's desired-state parameter (`/{env}/pipeline/rabbitmq`): endpoint, admin secret ARN, store vhosts. */
  config: z.string().min(1),
  /** The endpoint the stack pinned: the parameter must name the same one (as Configure_RabbitMQ_Vhosts_and_Permissions checks). */
  endpoint: z.string().min(1),
  allowInsecureEndpoint: z.boolean().optional(),
  /** Queue-name patterns whose messages must drain. */
  queues: z.array(QueuePattern).min(1),
  /** Queue-name patterns never waited for (matched after `queues`). */
  ignore: z.array(QueuePattern),
  /** The queues must stay empty this long (the management API refreshes its counts every few seconds). */
  settleSeconds: z.number().int().min(0).max(600),
  /** The bound of the wait. */
  timeoutMinutes: z.number().int().min(1).max(23 * 60),
  /**
   * `await`: the step holds the pipeline until the queues drained (its own stage before
   * Deploy_Spryker_services); `measure`: it only measures, beside the rollout, and never fails it.
   */
  mode: z.enum(['await', 'measure']),
  /** Await mode: `fail` fails the stage at the bound naming the queues still holding messages; `warn` names them and succeeds. */
  onTimeout: z.enum(['fail', 'warn']),
});
export type SyncCatchUpParams = z.infer<typeof SyncCatchUpParams>;
