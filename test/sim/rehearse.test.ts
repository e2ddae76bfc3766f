/**
 * `cdk-spryker-pipeline rehearse` run as a user runs it: the CLI in a child process, loading the
 * rehearsal bundle (dist/sim/rehearse.js) that drives the handler bundles (dist/handlers/) on the
 * simulator. The timeline must match what the simulator was told to do.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { DeploymentReport } from '../../lib/contracts/report';
import { TIMELINE_STATES, type TimelineState } from '../../lib/contracts/timeline';
import { SCCOS_STAGES } from '../../lib/spryker-pipeline';
import { REHEARSAL_STAGES } from '../../sim/rehearse';

const ROOT = path.join(__dirname, '..', '..');

beforeAll(() => {
  // The handlers and the rehearsal as `npm run bundle` builds them for the package.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-handlers.mjs'), '--quiet'], { cwd: ROOT });
}, 120_000);

function cli(args: string[]) {
  const out = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'bin', 'cli.ts'), 'rehearse', ...args], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 90_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-test-'));

/** Seconds: the handlers poll every 5 s, CodePipeline starts a stage within a second of the last one. */
const TOLERANCE_MS = 6_000;
const TASK_START_MS = 20_000;

describe('a successful rehearsal of 8 services', () => {
  const out = tmp();
  let report: DeploymentReport;
  let run: ReturnType<typeof cli>;
  const stage = (name: string) => report.stages.find((s) => s.name === name)!;
  const span = (state: TimelineState) => report.states.find((s) => s.state === state)!;

  beforeAll(() => {
    run = cli(['--services', '8', '--pre-deploy-seconds', '45', '--install-seconds', '120', '--rollout-seconds', '90', '--sync-seconds', '60', '--seed', '7', '--json', '--out', out]);
    report = DeploymentReport.parse(JSON.parse(run.stdout));
  }, 120_000);

  test('--json prints the DeploymentReport: every SCCOS stage in order, succeeded; exit 0', () => {
    expect(run.code).toBe(0);
    expect(REHEARSAL_STAGES).toEqual(SCCOS_STAGES);
    expect(report.stages.map((s) => s.name)).toEqual([...SCCOS_STAGES]);
    expect(report.stages.every((s) => s.outcome === 'Succeeded')).toBe(true);
    for (const [i, s] of report.stages.entries()) {
      expect(s.endMs).toBeGreaterThan(s.startMs);
      if (i) expect(s.startMs).toBe(report.stages[i - 1].endMs);
    }
    expect(report.outcome).toBe('Succeeded');
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['stages', 'states', 'windows']));
    expect(run.stderr).toContain(path.join(out, 'report.html'));
  });

  test('the hook stages take as long as their tasks ran', () => {
    expect(stage('Run_pre-deploy_hook').endMs - stage('Run_pre-deploy_hook').startMs).toBeGreaterThanOrEqual(TASK_START_MS + 45_000);
    expect(stage('Run_pre-deploy_hook').endMs - stage('Run_pre-deploy_hook').startMs).toBeLessThanOrEqual(TASK_START_MS + 45_000 + TOLERANCE_MS);
    expect(stage('Run_install').endMs - stage('Run_install').startMs).toBeGreaterThanOrEqual(TASK_START_MS + 120_000);
    expect(stage('Run_install').endMs - stage('Run_install').startMs).toBeLessThanOrEqual(TASK_START_MS + 120_000 + TOLERANCE_MS);
  });

  test('the states the handlers marked, in timeline order, with windows equal to the simulated durations', () => {
    const order = report.states.map((s) => s.state);
    expect(order).toEqual(TIMELINE_STATES.filter((s) => order.includes(s)));
    expect(order).toEqual(expect.arrayContaining(['preDeployHook', 'schedulerPaused', 'dbAheadOfServices', 'mixedVersions']));
    // The pre-deploy hook's task ran 45 s.
    expect(report.windows.preDeployHook).toBe(45_000);
    // Paused from scheduler:suspend (the pre-deploy task's end) to scheduler:setup (the install task's end).
    expect(Math.abs(span('schedulerPaused').startMs - stage('Run_pre-deploy_hook').endMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(span('schedulerPaused').endMs! - stage('Run_install').endMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    // The database is V2 from the install task's start until the last service is on V2.
    expect(Math.abs(span('dbAheadOfServices').startMs - (stage('Run_install').startMs + TASK_START_MS))).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(span('dbAheadOfServices').endMs! - stage('Deploy_Spryker_services').endMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    // Mixed while the rollouts run: the slowest of 90 s ± 15 %.
    expect(Math.abs(span('mixedVersions').startMs - stage('Deploy_Spryker_services').startMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(report.windows.mixedVersions).toBeGreaterThanOrEqual(0.85 * 90_000);
    expect(report.windows.mixedVersions).toBeLessThanOrEqual(1.15 * 90_000);
    // No maintenance asked for, none on.
    expect(report.windows.maintenance).toBeUndefined();
    // Redis and search start catching up at scheduler:setup.
    expect(Math.abs(span('syncCatchUp').startMs - span('schedulerPaused').endMs!)).toBeLessThanOrEqual(1000);
  });

  test.todo('syncCatchUp ends when the simulated queues drained: window = --sync-seconds (60 s) within 6 s (needs the Sync_catch_up step of branch conditions in the rehearsal)');
  test.todo('rabbitmqReconfiguring lies within Configure_RabbitMQ_Vhosts_and_Permissions on a fresh broker (start >= stage start, end <= stage end; needs the marks of branch rabbit)');

  test('report.json is what --json printed; report.html is well-formed and names every stage and state', () => {
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'))).toEqual(report);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(XMLValidator.validate(html)).toBe(true);
    for (const s of [...SCCOS_STAGES, ...TIMELINE_STATES]) expect(html).toContain(s);
  });
});

test('--fail-service yves: Deploy_Spryker_services fails naming yves, nothing after it runs, exit 1', () => {
  const out = tmp();
  const run = cli(['--services', '8', '--fail-service', 'yves', '--json', '--out', out]);
  expect(run.code).toBe(1);
  const report = DeploymentReport.parse(JSON.parse(run.stdout));
  expect(report.outcome).toBe('Failed');
  const last = report.stages[report.stages.length - 1];
  expect(last).toMatchObject({ name: 'Deploy_Spryker_services', outcome: 'Failed' });
  expect(report.stages.map((s) => s.name)).toEqual(SCCOS_STAGES.slice(0, SCCOS_STAGES.indexOf('Deploy_Spryker_services') + 1));
  expect(run.stderr).toMatch(/Deploy_Spryker_services failed: .*service production-yves: the circuit breaker rolled back/);
  expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
}, 120_000);

test('--maintenance: the 503 page is on for Run_install (the install task and the time to notice it ended)', () => {
  const run = cli(['--services', '3', '--maintenance', '--install-seconds', '120', '--json', '--out', tmp()]);
  expect(run.code).toBe(0);
  const report = DeploymentReport.parse(JSON.parse(run.stdout));
  const install = report.stages.find((s) => s.name === 'Run_install')!;
  const maintenance = report.states.find((s) => s.state === 'maintenance')!;
  expect(maintenance.startMs).toBeGreaterThanOrEqual(install.startMs);
  expect(maintenance.startMs - install.startMs).toBeLessThanOrEqual(TOLERANCE_MS);
  expect(maintenance.endMs).toBeLessThanOrEqual(install.endMs);
  expect(install.endMs - maintenance.endMs!).toBeLessThanOrEqual(TOLERANCE_MS);
  expect(report.windows.maintenance).toBeGreaterThanOrEqual(TASK_START_MS + 120_000);
  expect(report.windows.maintenance).toBeLessThanOrEqual(TASK_START_MS + 120_000 + TOLERANCE_MS);
}, 120_000);

test('the terminal timeline: a row per stage and per state, the windows, where the report is', () => {
  const out = tmp();
  const run = cli(['--services', '4', '--width', '100', '--out', out]);
  expect(run.code).toBe(0);
  const lines = run.stdout.split('\n');
  for (const s of SCCOS_STAGES) expect(lines.some((l) => l.startsWith(s.slice(0, 25)) && l.includes('│'))).toBe(true);
  for (const s of TIMELINE_STATES) expect(lines.filter((l) => l.startsWith(s) || l.startsWith(`  ${s}`)).length).toBe(2);
  expect(lines.filter((l) => l.includes('│')).every((l) => [...l].length <= 100)).toBe(true);
  expect(run.stdout).toContain(`report: ${path.join(out, 'report.html')}`);
}, 120_000);

test('bad options: every problem at once, named, with the usage; exit 2 and nothing run', () => {
  const numbers = cli(['--services', 'many', '--install-seconds', '', '--width', '10']);
  expect(numbers.code).toBe(2);
  expect(numbers.stderr).toContain("--services 'many' is not a number");
  expect(numbers.stderr).toContain("--install-seconds '' is not a number");
  expect(numbers.stderr).toContain("--width '10'");
  expect(numbers.stderr).toContain('usage: cdk-spryker-pipeline rehearse');
  const ranges = cli(['--services', '3', '--fail-service', 'nope', '--rollout-seconds', '0']);
  expect(ranges.code).toBe(2);
  expect(ranges.stderr).toContain("failServices: 'nope' is not a service of the simulated shop (zed, yves, glue)");
  expect(ranges.stderr).toContain('rolloutSeconds: a rollout takes at least 1 second');
  expect(ranges.stdout).toBe('');
}, 120_000);
