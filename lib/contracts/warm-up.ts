/** Warm_up: the configuration the stack writes to SSM (`/{env}/pipeline/warm-up`) and the action's UserParameters. */
import * as z from 'zod';

/** Bump when the configuration changes incompatibly; the handler refuses a version it does not read. */
export const WARM_UP_CONFIG_VERSION = 1;

/** What the stack writes to the config parameter. */
export const WarmUpConfig = z.object({
  v: z.literal(WARM_UP_CONFIG_VERSION),
  urls: z.array(z.string().min(1)),
  /** Requests in flight at once. */
  concurrency: z.number().int().min(1),
  /** Whole request (headers and body) limit, in milliseconds. */
  timeoutMs: z.number().int().min(1),
  /** Time to first byte (response headers) above which a page is a problem, in milliseconds. */
  ttfbMs: z.number().int().min(1),
  /** `fail` fails the stage on a problem; `warn` reports it and succeeds. */
  onProblem: z.enum(['fail', 'warn']),
});
export type WarmUpConfig = z.infer<typeof WarmUpConfig>;

export const WarmUpParams = z.strictObject({
  /** SSM parameter holding the WarmUpConfig JSON (URLs do not fit UserParameters' 1000 characters). */
  config: z.string().min(1),
});
export type WarmUpParams = z.infer<typeof WarmUpParams>;
