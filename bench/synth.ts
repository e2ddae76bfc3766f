/**
 * `cdk synth` of the example app, and of the same app scaled to 1, 8 and 50 application
 * services: wall time and peak memory (whole process tree), median of BENCH_RUNS runs (default 3).
 * Target: 50 services synthesize in under 1.5x the time of 1 service. Exits 1 when missed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { measure, median } from './proc';

const ROOT = path.join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CASES: { label: string; services?: number }[] = [
  { label: 'example app (4 services)' },
  { label: '1 service', services: 1 },
  { label: '8 services', services: 8 },
  { label: '50 services', services: 50 },
];

async function main(): Promise<void> {
  const rows: { label: string; ms: number; mb: number }[] = [];
  for (const c of CASES) {
    const times: number[] = [];
    const mems: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
      const env = { ...process.env, ...(c.services ? { DEMO_SERVICES: String(c.services) } : {}) };
      const m = await measure('npx', ['cdk', 'synth', '--quiet', '--output', out], env, ROOT);
      fs.rmSync(out, { recursive: true, force: true });
      if (m.code !== 0) throw new Error(`cdk synth (${c.label}) exited ${m.code}:\n${m.stderr.slice(-2000)}`);
      times.push(m.ms);
      mems.push(m.peakMb);
    }
    rows.push({ label: c.label, ms: median(times), mb: median(mems) });
  }
  console.log(`\ncdk synth, median of ${RUNS} runs (${os.cpus().length} cores)\n`);
  console.log('| case | wall time (s) | peak memory (MB) |');
  console.log('|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.label} | ${(r.ms / 1000).toFixed(2)} | ${r.mb.toFixed(0)} |`);
  const one = rows.find((r) => r.label === '1 service')!.ms;
  const fifty = rows.find((r) => r.label === '50 services')!.ms;
  const ratio = fifty / one;
  const ok = ratio < 1.5;
  console.log(`\n50 services / 1 service = ${ratio.toFixed(2)}x (target < 1.5x): ${ok ? 'PASS' : 'FAIL'}`);
  if (!ok) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
