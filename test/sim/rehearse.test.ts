/**
 * `cdk-spryker-pipeline rehearse` run as a user runs it: the CLI in a child process, loading the
 * rehearsal bundle (dist/sim/rehearse.js) that drives the handler bundles (dist/handlers/) on the
 * simulator. The timeline must match what the simulator was told to do.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Template } from 'aws-cdk-lib/assertions';
import { XMLValidator } from 'fast-xml-parser';
import { DeploymentReport } from '../../lib/contracts/report';
import { TIMELINE_STATES, type TimelineState } from '../../lib/contracts/timeline';
import { SCCOS_STAGES, SprykerPipeline } from '../../lib/spryker-pipeline';
import { DEFAULT_BROKER_LATENCY_MS, REHEARSAL_STAGES, rehearsalStages, SYNC_CATCH_UP_PARAMS } from '../../sim/rehearse';
import { baseProps, stagesOf, testApp, userParametersOf } from '../infra/helpers';

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
/** The sync catch-up's settle period (syncCatchUp.settle's default): the queues stay empty this long before the action ends. */
const SETTLE_MS = SYNC_CATCH_UP_PARAMS.settleSeconds * 1000;

/** The changes the rabbitmq handler planned (and, the stage having succeeded, wrote), from its log line on stderr (--verbose). */
function brokerWrites(stderr: string): string[] {
  const line = stderr.split('\n').find((l) => l.startsWith('[rabbitmq] {"broker"'));
  if (!line) throw new Error(`no plan line of the rabbitmq handler in:\n${stderr}`);
  return JSON.parse(line.slice('[rabbitmq] '.length)).plan;
}

describe('the stages and actions are the real pipeline\'s', () => {
  function synth(syncCatchUp: { await?: boolean }) {
    const stack = new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
    const adminSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Admin', 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:broker/admin-AbCdEf');
    new SprykerPipeline(stack, 'Pipeline', baseProps({ broker: { endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com', adminSecret, vhosts: ['eu-docker'] }, syncCatchUp }));
    return Template.fromStack(stack);
  }

  test.each([false, true])('syncCatchUp.await %s: the same stages in the same order, the sync catch-up action where the pipeline places it, side by side (one runOrder), with its UserParameters', (syncAwait) => {
    const template = synth({ await: syncAwait });
    const stages = stagesOf(template).filter((s) => s.Name !== 'Report');
    const rehearsed = rehearsalStages({ syncAwait });
    expect(rehearsed.map((s) => s.name)).toEqual(stages.map((s) => s.Name));
    for (const name of ['Sync_catch_up', 'Deploy_Spryker_services']) {
      const real = stages.find((s) => s.Name === name);
      expect(rehearsed.find((s) => s.name === name)?.actions).toEqual(real?.Actions.map((a: { Name: string }) => a.Name));
      expect(new Set(real?.Actions.map((a: { RunOrder: number }) => a.RunOrder)).size).toBeLessThanOrEqual(1);
    }
    const [stage, action] = syncAwait ? ['Sync_catch_up', 'Sync_catch_up'] : ['Deploy_Spryker_services', 'Measure_sync_catch_up'];
    const { config: _config, endpoint: _endpoint, mode, ...params } = userParametersOf(template, stage, action);
    expect(mode).toBe(syncAwait ? 'await' : 'measure');
    expect(params).toEqual(SYNC_CATCH_UP_PARAMS);
  });
});

describe('a successful rehearsal of 8 services', () => {
  const out = tmp();
  let report: DeploymentReport;
  let run: ReturnType<typeof cli>;
  const stage = (name: string) => report.stages.find((s) => s.name === name)!;
  const span = (state: TimelineState) => report.states.find((s) => s.state === state)!;

  beforeAll(() => {
    run = cli(['--services', '8', '--pre-deploy-seconds', '45', '--install-seconds', '120', '--rollout-seconds', '90', '--sync-seconds', '60', '--seed', '7', '--json', '--verbose', '--out', out]);
    report = DeploymentReport.parse(JSON.parse(run.stdout));
  }, 120_000);

  test('--json prints the DeploymentReport: every SCCOS stage in order, succeeded; exit 0', () => {
    expect(run.code).toBe(0);
    expect(REHEARSAL_STAGES).toEqual(SCCOS_STAGES);
    // Measured beside the rollout: no stage of its own.
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

  test('Measure_sync_catch_up beside the rollout: syncCatchUp ends when the simulated queues drained (--sync-seconds 60 after scheduler:setup, within 6 s), while the rollout runs; the stage ends when both actions ended', () => {
    const sync = span('syncCatchUp');
    const deploy = stage('Deploy_Spryker_services');
    expect(sync.endMs).toBeDefined();
    expect(report.windows.syncCatchUp).toBeGreaterThanOrEqual(60_000);
    expect(report.windows.syncCatchUp).toBeLessThanOrEqual(60_000 + TOLERANCE_MS);
    expect(sync.endNote).toMatch(/^8 queue\(s\), at most 4000 message\(s\)$/);
    // Both actions in flight at once: the drain was seen while versions were still mixed...
    expect(sync.endMs!).toBeGreaterThan(span('mixedVersions').startMs);
    expect(sync.endMs!).toBeLessThan(span('mixedVersions').endMs!);
    // ...on one clock: side by side, the rollout takes no longer than alone (90 s ± 15 %).
    expect(report.windows.mixedVersions).toBeLessThanOrEqual(1.15 * 90_000);
    // The stage ends with its later action: the measurement ends after the settle period.
    expect(deploy.endMs).toBeGreaterThanOrEqual(sync.endMs! + SETTLE_MS);
    expect(deploy.endMs - deploy.startMs).toBeLessThanOrEqual(Math.max(1.15 * 90_000, sync.endMs! + SETTLE_MS - deploy.startMs) + TOLERANCE_MS);
  });

  test('rabbitmqReconfiguring: within Configure_RabbitMQ_Vhosts_and_Permissions, as long as its writes to the fresh broker took (5 × the default latency)', () => {
    const writes = brokerWrites(run.stderr);
    expect(writes).toEqual(['create vhost eu-docker', 'create vhost us-docker', 'create user spryker', 'create permission spryker@eu-docker', 'create permission spryker@us-docker']);
    const configure = stage('Configure_RabbitMQ_Vhosts_and_Permissions');
    const reconfiguring = span('rabbitmqReconfiguring');
    expect(reconfiguring.startMs).toBeGreaterThanOrEqual(configure.startMs);
    expect(reconfiguring.endMs!).toBeLessThanOrEqual(configure.endMs);
    expect(report.windows.rabbitmqReconfiguring).toBe(writes.length * DEFAULT_BROKER_LATENCY_MS);
    expect(reconfiguring.endNote).toBe('done: 2 vhosts created, 1 user created, 2 permissions created');
  });

  test('report.json is what --json printed; report.html is well-formed and names every stage and state', () => {
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'))).toEqual(report);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(XMLValidator.validate(html)).toBe(true);
    for (const s of [...SCCOS_STAGES, ...TIMELINE_STATES]) expect(html).toContain(s);
  });
});

describe('--sync-await: the Sync_catch_up stage before Deploy_Spryker_services, with a slower broker', () => {
  let report: DeploymentReport;
  let run: ReturnType<typeof cli>;
  const stage = (name: string) => report.stages.find((s) => s.name === name)!;
  const span = (state: TimelineState) => report.states.find((s) => s.state === state)!;

  beforeAll(() => {
    run = cli(['--services', '3', '--sync-await', '--sync-seconds', '45', '--broker-latency-ms', '200', '--json', '--verbose', '--out', tmp()]);
    report = DeploymentReport.parse(JSON.parse(run.stdout));
  }, 120_000);

  test('the stages as the pipeline has them, every one succeeded; Sync_catch_up from the end of Run_install', () => {
    expect(run.code).toBe(0);
    const names = report.stages.map((s) => s.name);
    expect(names).toEqual(rehearsalStages({ syncAwait: true }).map((s) => s.name));
    expect(names.slice(names.indexOf('Run_install'), names.indexOf('Run_install') + 3)).toEqual(['Run_install', 'Sync_catch_up', 'Deploy_Spryker_services']);
    expect(report.stages.every((s) => s.outcome === 'Succeeded')).toBe(true);
    expect(stage('Sync_catch_up').startMs).toBe(stage('Run_install').endMs);
  });

  test('syncCatchUp = the simulated drain (45 s) within 6 s; Deploy_Spryker_services starts only after the drain ended and the queues stayed empty for the settle period', () => {
    const sync = span('syncCatchUp');
    expect(Math.abs(sync.startMs - span('schedulerPaused').endMs!)).toBeLessThanOrEqual(1000);
    expect(report.windows.syncCatchUp).toBeGreaterThanOrEqual(45_000);
    expect(report.windows.syncCatchUp).toBeLessThanOrEqual(45_000 + TOLERANCE_MS);
    const deploy = stage('Deploy_Spryker_services');
    expect(deploy.startMs).toBe(stage('Sync_catch_up').endMs);
    expect(deploy.startMs).toBeGreaterThanOrEqual(sync.endMs! + SETTLE_MS);
    expect(deploy.startMs - (sync.endMs! + SETTLE_MS)).toBeLessThanOrEqual(TOLERANCE_MS);
    // No service rolled out onto V1 Redis and search data.
    expect(span('mixedVersions').startMs).toBeGreaterThan(sync.endMs!);
  });

  test('rabbitmqReconfiguring = the writes made × --broker-latency-ms 200', () => {
    const writes = brokerWrites(run.stderr);
    expect(writes).toHaveLength(5);
    expect(report.windows.rabbitmqReconfiguring).toBe(writes.length * 200);
  });
});

test('--sync-await, queues slower than syncCatchUp.timeout (30 min): Sync_catch_up fails at the bound naming the queues, no service rolls out, exit 1', () => {
  const run = cli(['--services', '2', '--sync-await', '--sync-seconds', '2400', '--json', '--out', tmp()]);
  expect(run.code).toBe(1);
  const report = DeploymentReport.parse(JSON.parse(run.stdout));
  const last = report.stages[report.stages.length - 1];
  expect(last).toMatchObject({ name: 'Sync_catch_up', outcome: 'Failed' });
  expect(last.endMs - last.startMs).toBeGreaterThanOrEqual(30 * 60_000);
  expect(last.endMs - last.startMs).toBeLessThanOrEqual(30 * 60_000 + TOLERANCE_MS);
  expect(run.stderr).toMatch(/Sync_catch_up failed: the sync queues did not drain within 30 min in 2 vhost\(s\) of http:\/\/127\.0\.0\.1:\d+: 1000 message\(s\) left in eu-docker\/publish/);
  expect(report.states.find((s) => s.state === 'syncCatchUp')?.endMs).toBeUndefined();
  expect(report.windows.mixedVersions).toBeUndefined();
}, 120_000);

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
  const ranges = cli(['--services', '3', '--fail-service', 'nope', '--rollout-seconds', '0', '--broker-latency-ms', '1.5']);
  expect(ranges.code).toBe(2);
  expect(ranges.stderr).toContain("failServices: 'nope' is not a service of the simulated shop (zed, yves, glue)");
  expect(ranges.stderr).toContain('rolloutSeconds: a rollout takes at least 1 second');
  expect(ranges.stderr).toContain('brokerLatencyMs: 1.5 is not a whole number of milliseconds from 0 to 10000');
  expect(ranges.stdout).toBe('');
}, 120_000);
