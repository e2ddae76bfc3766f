import type { StepContext, StepResult } from './job';

export interface PollOptions {
  /** Wait after the first check; each further wait is 1.5 times longer, up to maxIntervalMs. @default 5000 */
  readonly intervalMs?: number;
  /** @default 15000 */
  readonly maxIntervalMs?: number;
  /**
   * Time kept for the last check, its diagnosis (stopped tasks, log lines) and the PutJob* call.
   * @default 15000
   */
  readonly reserveMs?: number;
}

/**
 * Checks until done or until the invocation's time runs low; then the last `continue` result
 * goes back to CodePipeline as a continuation token and the next invocation resumes from it.
 */
export async function pollWhileTimeRemains<S>(
  ctx: Pick<StepContext<unknown>, 'remainingMs' | 'sleep'>,
  check: () => Promise<StepResult<S>>,
  options: PollOptions = {},
): Promise<StepResult<S>> {
  const max = options.maxIntervalMs ?? 15_000;
  const reserve = options.reserveMs ?? 15_000;
  // Quick answers for short waits, few calls for long rollouts and installs.
  for (let interval = options.intervalMs ?? 5000; ; interval = Math.min(max, Math.round(interval * 1.5))) {
    const result = await check();
    if (result.status === 'done' || ctx.remainingMs() < interval + reserve) return result;
    await ctx.sleep(interval);
  }
}
