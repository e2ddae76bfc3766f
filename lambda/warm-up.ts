/**
 * Warm_up (after Run_post-deploy_hook): requests the configured pages with bounded concurrency
 * and a per-request timeout, so caches are warm before customers arrive, and fails (or warns)
 * when a page answers non-2xx or its first byte comes later than the threshold: Magento Cloud's
 * WARM_UP_PAGES and TTFB check.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { call, defineStep, StepFailure, type StepDefinition } from './runtime/job';
import { parseParams } from './runtime/params';
import { parseStackJson } from './runtime/stack-json';
import { WARM_UP_CONFIG_VERSION, WarmUpConfig, WarmUpParams } from '../lib/contracts/warm-up';

export interface PageResult {
  readonly url: string;
  /** HTTP status after redirects; absent when no response came. */
  readonly status?: number;
  /** Milliseconds until the response headers arrived. */
  readonly ttfbMs?: number;
  /** Why the page is a problem; absent when it is fine. */
  readonly problem?: string;
}

/** Time kept back from the Lambda's remaining time to report the result. */
const REPORT_MARGIN_MS = 5_000;

/**
 * Requests every URL, at most `concurrency` at a time. Never throws: each page ends in a result.
 * `deadline()` gives the milliseconds left for the whole run; pages not started in time are reported as such.
 */
export async function warmUp(config: WarmUpConfig, deadline: () => number = () => Infinity): Promise<PageResult[]> {
  const results: PageResult[] = new Array(config.urls.length);
  let next = 0;
  const worker = async () => {
    while (next < config.urls.length) {
      const i = next++;
      const left = deadline();
      results[i] =
        left <= 0
          ? { url: config.urls[i], problem: 'not requested: the step ran out of time (lower the number of pages or raise concurrency)' }
          : await requestPage(config.urls[i], Math.min(config.timeoutMs, left), config.ttfbMs);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(config.concurrency, config.urls.length)) }, worker));
  return results;
}

async function requestPage(url: string, timeoutMs: number, ttfbLimitMs: number): Promise<PageResult> {
  const started = performance.now();
  let status: number | undefined;
  let ttfbMs: number | undefined;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'user-agent': 'cdk-spryker-pipeline warm-up' },
    });
    ttfbMs = Math.round(performance.now() - started);
    status = response.status;
    // Reading the body is the warming: the page renders completely and fills the caches.
    await response.arrayBuffer();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `no complete answer within ${timeoutMs} ms`
        : `request failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    return { url, status, ttfbMs, problem: status === undefined ? why : `HTTP ${status}, then ${why}` };
  }
  if (status < 200 || status > 299) return { url, status, ttfbMs, problem: `HTTP ${status} (expected 2xx)` };
  if (ttfbMs > ttfbLimitMs) return { url, status, ttfbMs, problem: `first byte after ${ttfbMs} ms (threshold ${ttfbLimitMs} ms)` };
  return { url, status, ttfbMs };
}

/** One line per problem page, naming it. */
export function describeProblems(results: PageResult[]): string {
  const problems = results.filter((r) => r.problem);
  return `${problems.length} of ${results.length} page(s) failed the warm-up check: ` + problems.map((r) => `${r.url}: ${r.problem}`).join('; ');
}

export const step: StepDefinition<WarmUpParams, never> = {
  name: 'warm-up',
  parseParams: (raw) => parseParams('warm-up', raw, WarmUpParams),
  run: async (ctx) => {
    const { config: name } = ctx.params;
    const out = await call(`SSM GetParameter ${name}`, ctx.client(SSMClient).send(new GetParameterCommand({ Name: name })));
    const config = parseStackJson('warm-up configuration', name, out.Parameter?.Value, WARM_UP_CONFIG_VERSION, WarmUpConfig);
    const started = Date.now();
    const budget = ctx.remainingMs() - REPORT_MARGIN_MS;
    const results = await warmUp(config, () => budget - (Date.now() - started));
    const slowest = Math.max(0, ...results.map((r) => r.ttfbMs ?? 0));
    console.log(JSON.stringify({ step: 'warm-up', pages: results }));
    if (!results.some((r) => r.problem)) {
      return { status: 'done', summary: `${results.length} page(s) warmed up, all 2xx; slowest first byte ${slowest} ms` };
    }
    if (config.onProblem === 'fail') throw new StepFailure(describeProblems(results));
    return { status: 'done', summary: `WARNING (onProblem: warn): ${describeProblems(results)}` };
  },
};

export const handler = defineStep(step);
