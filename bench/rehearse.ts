/**
 * The rehearsal (`cdk-spryker-pipeline rehearse`, docs/rehearse.md) for a 4- and a 50-service
 * shop with the default timings: the windows the handlers' timeline gives, the simulated duration
 * and the wall-clock time. The handler bundles are rebuilt first (what the package ships).
 * Target: a rehearsal finishes within MAX_WALL_S on the wall clock; exits 1 when one does not.
 */
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { TIMELINE_STATES } from '../lib/contracts/timeline';
import { formatDuration } from '../lib/report/render';
import { rehearse } from '../sim/rehearse';

const ROOT = path.join(__dirname, '..');
const SHOPS = [4, 50];
const MAX_WALL_S = 60;

async function main() {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handlers.mjs'), '--quiet'], { stdio: 'inherit' });
  console.log('\nrehearsal (default timings, seed 1): windows from the handlers\' timeline marks\n');
  console.log(`| services | outcome | deployment (simulated) | wall clock | ${TIMELINE_STATES.join(' | ')} |`);
  console.log(`|---|---|---|---|${TIMELINE_STATES.map(() => '---').join('|')}|`);
  let missed = false;
  for (const services of SHOPS) {
    const { report, wallMs } = await rehearse({ handlersDir: path.join(ROOT, 'dist', 'handlers'), services });
    const windows = TIMELINE_STATES.map((s) => {
      const ms = report.windows[s];
      const open = report.states.find((x) => x.state === s && x.endMs === undefined) ? ' (open)' : '';
      return ms === undefined ? '—' : `${formatDuration(ms)}${open}`;
    });
    console.log(`| ${services} | ${report.outcome} | ${formatDuration(report.endMs - report.startMs)} | ${(wallMs / 1000).toFixed(1)} s | ${windows.join(' | ')} |`);
    missed ||= wallMs > MAX_WALL_S * 1000 || report.outcome !== 'Succeeded';
  }
  console.log(`\ntarget: each rehearsal succeeds within ${MAX_WALL_S} s on the wall clock (load average now ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
  if (missed) process.exitCode = 1;
}

void main();
