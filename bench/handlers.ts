/**
 * Step handler bundles, as the package ships them (scripts/bundle-handlers.mjs: minify, Node.js
 * 24, AWS SDK external): size and cold init (time to `require` the bundle in a fresh node process, the
 * SDK loaded from node_modules as the Lambda runtime provides it), median of BENCH_RUNS runs
 * (default 7). Targets: under 50 KB and 100 ms each; exits 1 when one is missed.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median } from './proc';

const ROOT = path.join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const MAX_KB = 50;
const MAX_INIT_MS = 100;


// The child times only the require (node's own start is not the handler's cold init); with
// argv[2] = 'own' it loads the bundle's SDK clients first, leaving the handler's own code.
const PROBE = `const file = process.argv[1];
if (process.argv[2] === 'own') for (const m of new Set(require('fs').readFileSync(file, 'utf8').match(/@aws-sdk\\/[a-z0-9-]+/g))) require(m);
const t = process.hrtime.bigint(); const m = require(file);
if (typeof m.handler !== 'function') throw new Error('no handler export');
process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;

execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handlers.mjs'), '--quiet'], { stdio: 'inherit' });
const BUNDLES = path.join(ROOT, 'dist', 'handlers');
const handlers = fs.readdirSync(BUNDLES).sort();

const rows = handlers.map((name) => {
  const outfile = path.join(BUNDLES, name, 'index.js');
  const kb = fs.statSync(outfile).size / 1024;
  const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const run = (mode: string) => median(Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ['-e', PROBE, outfile, mode], { env }).toString())));
  const sdk = [...new Set(fs.readFileSync(outfile, 'utf8').match(/@aws-sdk\/[a-z0-9-]+/g))].map((m) => m.replace('@aws-sdk/client-', ''));
  return { name, kb, ms: run('all'), own: run('own'), sdk };
});

console.log(`\nstep handler bundles: size, cold init (require in a fresh node ${process.version}), median of ${RUNS} runs\n`);
console.log('| handler | bundle | cold init | of which handler code | SDK clients loaded |');
console.log('| --- | ---: | ---: | ---: | --- |');
for (const r of rows) {
  const flag = (bad: boolean) => (bad ? ' (over target)' : '');
  console.log(`| ${r.name} | ${r.kb.toFixed(1)} KB${flag(r.kb > MAX_KB)} | ${r.ms.toFixed(1)} ms${flag(r.ms > MAX_INIT_MS)} | ${r.own.toFixed(1)} ms | ${r.sdk.join(', ')} |`);
}
console.log(`\ntargets: bundle < ${MAX_KB} KB with the AWS SDK external, cold init < ${MAX_INIT_MS} ms (load average now ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
if (rows.some((r) => r.kb > MAX_KB || r.ms > MAX_INIT_MS)) process.exitCode = 1;
