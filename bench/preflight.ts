/**
 * Preflight time per deploy file: every fixture under test/fixtures/deploy-files, and a generated
 * 5 MB file (a shop with 100 stores and a large image.environment), read and checked in-process as
 * `cdk-spryker-pipeline validate` does. Median of BENCH_RUNS runs (default 3).
 * Target: the 5 MB file in under 5 s. Exits 1 when missed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { preflight, readDeployFile } from '../lib/config/deploy-file';
import { median } from './proc';

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'deploy-files');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGET_MS = 5000;

/** A valid deploy file of about `bytes` bytes: stores with vhosts, an application per store, and filler variables. */
export function largeDeployFile(bytes: number): string {
  const stores = Array.from({ length: 100 }, (_, i) => `S${i}`);
  const lines = [
    'version: "1.0"',
    'namespace: big',
    'image:',
    '    tag: spryker/php:8.3',
    '    environment:',
    '        SPRYKER_HOOK_INSTALL: "vendor/bin/install -r EU/production --no-ansi -vvv"',
  ];
  const tail = [
    'regions:',
    '    EU:',
    '        stores:',
    ...stores.flatMap((s) => [`            ${s}:`, '                services:', '                    broker:', `                        namespace: ${s.toLowerCase()}_queue`]),
    'groups:',
    '    EU:',
    '        region: EU',
    '        applications:',
    '            boffice:',
    '                application: backoffice',
    '                endpoints:',
    ...stores.flatMap((s) => [`                    backoffice.${s.toLowerCase()}.big.example:`, `                        store: ${s}`]),
    ...stores.flatMap((s) => [`            yves_${s.toLowerCase()}:`, '                application: yves', '                endpoints:', `                    www.${s.toLowerCase()}.big.example:`, `                        store: ${s}`]),
    'services:',
    '    broker:',
    '        engine: rabbitmq',
    '    scheduler:',
    '        engine: jenkins',
  ];
  let size = [...lines, ...tail].join('\n').length;
  for (let i = 0; size < bytes; i++) {
    const line = `        PROJECT_SETTING_${String(i).padStart(7, '0')}: "value number ${i} of the filler variables"`;
    lines.push(line);
    size += line.length + 1;
  }
  return [...lines, ...tail].join('\n') + '\n';
}

function time(file: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    preflight(readDeployFile(file));
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

function main(): void {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yml')).map((f) => path.join(FIXTURES, f));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-preflight-'));
  const large = path.join(dir, 'deploy.big-production.yml');
  fs.writeFileSync(large, largeDeployFile(5 * 1024 * 1024));
  try {
    console.log(`\npreflight per deploy file, median of ${RUNS} runs\n`);
    console.log('| file | size (KB) | findings | time (ms) |');
    console.log('|---|---:|---:|---:|');
    let largeMs = 0;
    for (const file of [...files, large]) {
      const ms = time(file);
      if (file === large) largeMs = ms;
      const findings = preflight(readDeployFile(file)).length;
      console.log(`| ${path.basename(file)} | ${(fs.statSync(file).size / 1024).toFixed(0)} | ${findings} | ${ms.toFixed(0)} |`);
    }
    const ok = largeMs < TARGET_MS;
    console.log(`\n5 MB deploy file: ${(largeMs / 1000).toFixed(2)} s (target < ${TARGET_MS / 1000} s): ${ok ? 'PASS' : 'FAIL'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main();
