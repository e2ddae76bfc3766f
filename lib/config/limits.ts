import { Duration } from 'aws-cdk-lib';
import type { SprykerWarmUpProps } from './types';

/*
 * Limits and defaults that validation checks and a stage applies: here, so that validation does
 * not reach into the stage (and the stage's imports do not lead back into validation).
 */

/** Defaults of SprykerWarmUpProps. */
export const WARM_UP_DEFAULTS = { concurrency: 4, timeout: Duration.seconds(10), ttfbThreshold: Duration.seconds(3) } as const;

/** Lambda's maximum run time; the pages must be requested within it. */
export const MAX_WARM_UP = Duration.minutes(14);

/** Worst case of one warm-up run: every request takes its full timeout. */
export function warmUpWorstCase(props: SprykerWarmUpProps): Duration {
  const rounds = Math.ceil(props.urls.length / (props.concurrency ?? WARM_UP_DEFAULTS.concurrency));
  return Duration.millis(rounds * (props.timeout ?? WARM_UP_DEFAULTS.timeout).toMilliseconds());
}
