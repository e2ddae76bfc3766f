import type { StepContext, StepResult } from './job';

export interface PollOptions {
  /** Wait between two checks. @default 5000 */
  readonly intervalMs?: number;
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
  const interval = options.intervalMs ?? 5000;
  const reserve = options.reserveMs ?? 15_000;
  for (;;) {
    const result = await check();
    if (result.status === 'done' || ctx.remainingMs() < interval + reserve) return result;
    await ctx.sleep(interval);
  }
}
