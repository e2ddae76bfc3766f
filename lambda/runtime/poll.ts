import { call, describeError, StepFailure, type StepContext, type StepResult } from './job';

/** Time between two checks: a finished task or rollout is noticed within it (the p95 target is 10 s). */
export const POLL_INTERVAL_MS = 5000;
/** Time kept for the last check, its diagnosis (stopped tasks, log lines) and the PutJob* call. */
export const POLL_RESERVE_MS = 15_000;
/** Reads that keep failing (throttling, 5xx, timeouts) this long in a row fail the step. */
export const READ_FAILURE_LIMIT_MS = 5 * 60_000;
/**
 * The shortest Lambda timeout a step accepts: the reserve plus the job runtime's start margin
 * (10 s) and one interval, so that every invocation waits at least a few checks' time.
 */
export const MIN_POLLING_TIMEOUT_MS = 30_000;

/** What the poll loop keeps in a step's state: since when reads have failed without a break. */
export interface PollState {
  readonly readErrorSince?: number;
}

/** A read that may succeed at the next check (throttling, a 5xx, a timeout): nothing was changed. */
export class TransientReadError extends StepFailure {
  constructor(message: string) {
    super(message, 'JobFailed');
    this.name = 'TransientReadError';
  }
}

const TRANSIENT_NAME = /Throttl|TooManyRequests|RequestLimitExceeded|ServiceUnavailable|InternalFailure|InternalError|ServerException|RequestTimeout|TimeoutError|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/i;

/** Whether an AWS SDK error is worth retrying later: throttled, a server-side error, or the network. */
export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return Boolean(e?.$retryable) || status >= 500 || TRANSIENT_NAME.test(`${e?.name ?? ''} ${e?.code ?? ''}`);
}

/** Awaits a read-only AWS call as `call` does; a transient failure becomes a TransientReadError. */
export async function read<T>(what: string, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (isTransient(err)) throw new TransientReadError(`${what} failed: ${describeError(err).message}`);
    return call(what, Promise.reject(err));
  }
}

/**
 * Checks every POLL_INTERVAL_MS until done or until only the reserve is left; then the last
 * `continue` result goes back to CodePipeline as a continuation token and the next invocation
 * resumes from it. An invocation waits as long as its Lambda timeout allows (never a burst of
 * checks without waiting), so a wait of N minutes costs about N / (timeout - reserve) invocations.
 * A TransientReadError is retried at the next check, until reads have failed for `readFailureLimitMs`.
 */
export async function pollWhileTimeRemains<S extends PollState>(
  ctx: Pick<StepContext<unknown>, 'remainingMs' | 'sleep' | 'now'>,
  state: S,
  check: (state: S) => Promise<StepResult<S>>,
  options: { readonly intervalMs?: number; readonly reserveMs?: number; readonly readFailureLimitMs?: number } = {},
): Promise<StepResult<S>> {
  const interval = options.intervalMs ?? POLL_INTERVAL_MS;
  const reserve = options.reserveMs ?? POLL_RESERVE_MS;
  const limit = options.readFailureLimitMs ?? READ_FAILURE_LIMIT_MS;
  let current = state;
  for (;;) {
    let result: StepResult<S>;
    try {
      result = await check(current);
      if (result.status === 'continue') {
        const { readErrorSince: _cleared, ...rest } = result.state;
        result = { ...result, state: rest as S };
      }
    } catch (err) {
      if (!(err instanceof TransientReadError)) throw err;
      const since = current.readErrorSince ?? ctx.now();
      const failingFor = ctx.now() - since;
      if (failingFor >= limit) {
        throw new StepFailure(
          `reads kept failing for ${Math.round(failingFor / 1000)} s (the limit is ${Math.round(limit / 1000)} s); the last: ${err.message}. ` +
            'Nothing was changed by these reads: check the AWS service health and the step role\'s API rate, then retry the stage',
        );
      }
      console.log(JSON.stringify({ transientReadError: err.message, since }));
      result = { status: 'continue', state: { ...current, readErrorSince: since }, summary: `${err.message}; retrying at the next check` };
    }
    if (result.status === 'done') return result;
    current = result.state;
    const wait = Math.min(interval, ctx.remainingMs() - reserve);
    if (wait <= 0) return result;
    await ctx.sleep(wait);
  }
}
