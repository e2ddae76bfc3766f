/**
 * The rehearsal (`cdk-spryker-pipeline rehearse`, docs/rehearse.md) for a 4- and a 50-service
 * shop with the default timings, the sync catch-up measured beside the rollout (the default) and
 * awaited before it (`--sync-await`): the windows the handlers' timeline gives (syncCatchUp and
 * rabbitmqReconfiguring included), the stages the sync catch-up lengthens, the simulated duration
 * and the wall-clock time. The handler bundles are rebuilt first (what the package ships).
 * Target: a rehearsal succeeds within MAX_WALL_S on the wall clock, and no window is left open;
 * exits 1 when one does not.
 */
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { TIMELINE_STATES } from '../lib/contracts/timeline';
import { formatDuration } from '../lib/report/render';
import { DEFAULT_BROKER_LATENCY_MS, rehearse } from '../sim/rehearse';

const ROOT = path.join(__dirname, '..');
const SHOPS = [4, 50];
const MODES = [
  { name: 'measure', syncAwait: false },
  { name: 'await', syncAwait: true },
];
const STAGES = ['Sync_catch_up', 'Deploy_Spryker_services'];
const MAX_WALL_S = 60;

async function main() {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handlers.mjs'), '--quiet'], { stdio: 'inherit' });
  console.log(`\nrehearsal (default timings: sync drain 90 s, broker ${DEFAULT_BROKER_LATENCY_MS} ms per request; seed 1): windows from the handlers' timeline marks\n`);
  console.log(`| services | sync catch-up | outcome | deployment (simulated) | wall clock | ${STAGES.join(' | ')} | ${TIMELINE_STATES.join(' | ')} |`);
  console.log(`|---|---|---|---|---|${[...STAGES, ...TIMELINE_STATES].map(() => '---').join('|')}|`);
  let missed = false;
  for (const services of SHOPS) {
    for (const mode of MODES) {
      const { report, wallMs } = await rehearse({ handlersDir: path.join(ROOT, 'dist', 'handlers'), services, syncAwait: mode.syncAwait });
      const stages = STAGES.map((name) => {
        const s = report.stages.find((x) => x.name === name);
        return s ? formatDuration(s.endMs - s.startMs) : '—';
      });
      let open = false;
      const windows = TIMELINE_STATES.map((s) => {
        const ms = report.windows[s];
        const isOpen = report.states.some((x) => x.state === s && x.endMs === undefined);
        open ||= isOpen;
        return ms === undefined ? '—' : `${formatDuration(ms)}${isOpen ? ' (open)' : ''}`;
      });
      console.log(`| ${services} | ${mode.name} | ${report.outcome} | ${formatDuration(report.endMs - report.startMs)} | ${(wallMs / 1000).toFixed(1)} s | ${stages.join(' | ')} | ${windows.join(' | ')} |`);
      missed ||= wallMs > MAX_WALL_S * 1000 || report.outcome !== 'Succeeded' || open;
    }
  }
  console.log(`\ntarget: each rehearsal succeeds within ${MAX_WALL_S} s on the wall clock with every window closed (load average now ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
  if (missed) process.exitCode = 1;
}

void main();
