/**
 * Waiting, measured on the stateful fake AWS (real SDK clients over loopback, the fake's clock):
 * hook tasks of random length (uniform, 0 to BENCH_MAX_MIN minutes, default 40) run through the
 * run-hook handler as CodePipeline runs a job (a continuation is re-invoked 30 s after it is
 * handed back), for several Lambda timeouts. Per timeout, BENCH_SAMPLES jobs (default 100):
 * - detection latency: from the moment the task stopped to the PutJob* that reports it (p50, p95, max);
 * - invocations per minute of waiting: handler invocations / minutes from RunTask to the report.
 * Target: p95 ≤ 10 s at the polling steps' own timeout (14 min); exits 1 when missed.
 */
import '../test/setup-env'; // fake credentials and region: the fake never checks them, no request leaves loopback
import { step } from '../lambda/run-hook';
import { defineStep } from '../lambda/runtime/job';
import { FakeAws } from '../test/fakes/aws';
import { MODEL, setupShop } from '../test/fakes/shop';
import { clearModelCache } from '../lambda/runtime/load-model';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);
const MAX_MIN = Number(process.env.BENCH_MAX_MIN ?? 40);
const TIMEOUTS_S = [30, 60, 300, 840];
const POLLING_TIMEOUT_S = 840;
const TARGET_P95_S = 10;
const TASK_START_MS = 20_000; // the fake's provisioning time before the container runs

/** Deterministic: the same figures on every run. */
function random(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

async function measure(timeoutS: number) {
  const next = random(42);
  const latencies: number[] = [];
  let invocations = 0;
  let waitedMs = 0;
  for (let i = 0; i < SAMPLES; i++) {
    clearModelCache();
    const aws = await new FakeAws().start();
    try {
      setupShop(aws);
      const runMs = Math.round(next() * MAX_MIN * 60_000);
      aws.ecs.nextTasks.push({ exitCode: 0, runMs });
      const params = { model: MODEL, hook: 'install', taskDefinition: 'live', timeoutMinutes: MAX_MIN + 10 };
      const started = aws.clock.now;
      const { report, invocations: n } = await aws.runJob(defineStep(step, aws.deps()), { id: `job-${i}`, params }, { lambdaMs: timeoutS * 1000, maxInvocations: 10_000 });
      if (report.kind !== 'success') throw new Error(`sample ${i}: ${JSON.stringify(report.body)}`);
      latencies.push((aws.clock.now - (started + TASK_START_MS + runMs)) / 1000);
      invocations += n;
      waitedMs += aws.clock.now - started;
    } finally {
      await aws.stop();
    }
  }
  latencies.sort((a, b) => a - b);
  return { timeoutS, p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), max: latencies[latencies.length - 1], perMinute: invocations / (waitedMs / 60_000) };
}

async function main() {
  const log = console.log;
  console.log = () => undefined; // the handlers' own log lines
  const rows = [];
  for (const t of TIMEOUTS_S) rows.push(await measure(t));
  console.log = log;
  console.log(`\nwaiting for a hook task on the fake: ${SAMPLES} tasks of 0-${MAX_MIN} min per Lambda timeout, re-invoked 30 s after each continuation\n`);
  console.log('| Lambda timeout | detection latency p50 | p95 | max | invocations per minute of waiting |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const mark = r.timeoutS === POLLING_TIMEOUT_S ? ' (the polling steps\' timeout)' : '';
    console.log(`| ${r.timeoutS} s${mark} | ${r.p50.toFixed(1)} s | ${r.p95.toFixed(1)} s | ${r.max.toFixed(1)} s | ${r.perMinute.toFixed(3)} |`);
  }
  const own = rows.find((r) => r.timeoutS === POLLING_TIMEOUT_S)!;
  console.log(`\ntarget: p95 ≤ ${TARGET_P95_S} s at ${POLLING_TIMEOUT_S} s: ${own.p95 <= TARGET_P95_S ? 'met' : 'MISSED'}`);
  if (own.p95 > TARGET_P95_S) process.exitCode = 1;
}

void main();
