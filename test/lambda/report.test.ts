/**
 * The states timeline and the report step on the fake: a simulated run through the real handlers
 * (in pipeline order, the fake clock), whose report holds the states in order and windows equal to
 * the simulated durations; a failed run's report from the execution's end event; forged events.
 */
import { step as deploy } from '../../lambda/deploy';
import { step as preDeploymentConfiguration } from '../../lambda/pre-deployment-configuration';
import { reportAfterExecution, step as report, type ReportEventDeps } from '../../lambda/report';
import { defineStep } from '../../lambda/runtime/job';
import { step as runHook } from '../../lambda/run-hook';
import { XMLValidator } from 'fast-xml-parser';
import { DeploymentReport, LatestRolling, latestRollingKey, type LastRollingRun } from '../../lib/contracts/report';
import { renderReport, renderTerminal } from '../../lib/report/render';
import { METRICS_NAMESPACE, reportKey } from '../../lib/contracts/metrics';
import { TIMELINE_STATES } from '../../lib/contracts/timeline';
import { FakeAws, PIPELINES, STEP_TABLE } from '../fakes/aws';
import { jobEvent, type JobOptions } from '../fakes/job';
import { IMAGES_INPUT, MODEL, RELEASE_OUTPUT, setupShop, useFakeAws, V2 } from '../fakes/shop';
import { cutoverFixture, spreadOf } from './cutover-fixture';

let aws: FakeAws;
useFakeAws((started) => (aws = started));
const together = cutoverFixture(() => aws);

const BUCKET = 'production-reports';
const EXECUTION = '0b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3';
const SUSPEND = 'vendor/bin/console scheduler:suspend -vvv --no-ansi';
const SETUP = 'vendor/bin/console scheduler:setup -vvv --no-ansi';
const PRE_MS = 400_000;
const INSTALL_MS = 120_000;
/** The fake's rollout time (sim/aws.ts ROLLOUT_MS) and task start time (TASK_START_MS). */
const ROLLOUT_MS = 120_000;
const TASK_START_MS = 20_000;
/** Windows are ECS's own times: equal to the simulated durations to the millisecond. */
const TOLERANCE_MS = 1;

let emf: Record<string, any>[];
beforeEach(() => {
  process.env.REPORT_BUCKET = BUCKET;
  emf = [];
  // Powertools Metrics writes EMF to stdout through its own Console.
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      try {
        const parsed = JSON.parse(line);
        if (parsed._aws) emf.push(parsed);
      } catch {
        /* not EMF */
      }
    }
    return true;
  });
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  // Its warning about the fake clock's timestamps (older than CloudWatch's 14 days) goes to stderr.
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => delete process.env.REPORT_BUCKET);

const job = (stage: string, id: string, params: unknown, extra: Partial<JobOptions> = {}): JobOptions => ({ id, stage, action: stage, params, pipelineExecutionId: EXECUTION, ...extra });
const stored = (ext: 'json' | 'html', execution = EXECUTION) => aws.objects.get(`/${BUCKET}/${reportKey('production-deploy', execution, ext)}`)?.toString();
const eventDeps = (): ReportEventDeps => ({ ...aws.deps(), environment: 'production' });

/** Pipeline order on the fake, up to Deploy_Spryker_services; `installExit` 1 fails Run_install (and ends the run there). */
async function simulateRun(installExit = 0) {
  setupShop(aws);
  const deps = aws.deps();
  const release = [{ ...RELEASE_OUTPUT }];
  aws.ecs.nextTasks.push({ exitCode: 0, runMs: PRE_MS }, { exitCode: installExit, runMs: INSTALL_MS });
  const pre = await aws.runJob(defineStep(runHook, deps), job('Run_pre-deploy_hook', 'job-pre', { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', then: SUSPEND, timeoutMinutes: 30 }), { lambdaMs: 120_000 });
  expect(pre.report.kind).toBe('success');
  await aws.runJob(defineStep(preDeploymentConfiguration, deps), job('Pre_Deployment_Configuration', 'job-prep', { model: MODEL }, { inputs: [IMAGES_INPUT], outputs: release }));
  await aws.runJob(defineStep(deploy, deps), job('Deploy_Scheduler', 'job-sched', { model: MODEL, services: 'scheduler' }, { inputs: release }));
  const install = await aws.runJob(defineStep(runHook, deps), job('Run_install', 'job-install', { model: MODEL, hook: 'install', taskDefinition: 'release', then: SETUP, timeoutMinutes: 60 }, { inputs: release }));
  const [preTask, installTask] = [...aws.ecs.tasks.values()].filter((t) => t.startedBy?.startsWith('pipeline-'));
  const times = {
    preStarted: preTask.createdAt + TASK_START_MS,
    preStopped: preTask.createdAt + TASK_START_MS + PRE_MS,
    installStarted: installTask.createdAt + TASK_START_MS,
    installStopped: installTask.createdAt + TASK_START_MS + INSTALL_MS,
    rolloutStarted: 0,
  };
  if (installExit !== 0) {
    expect(install.report.kind).toBe('failure');
    return times;
  }
  times.rolloutStarted = aws.clock.now;
  const services = await aws.runJob(defineStep(deploy, deps), job('Deploy_Spryker_services', 'job-deploy', { model: MODEL, services: 'application' }, { inputs: release }), { lambdaMs: 60_000 });
  expect(services.report.kind).toBe('success');
  return times;
}

test('a simulated run: the report action stores the report, the states in order, the windows equal the simulated durations', async () => {
  const commit = aws.clock.now - 3_600_000;
  aws.codepipeline.executions.overrides.set(EXECUTION, { artifactRevisions: [{ name: 'Source', revisionId: V2, created: commit }] });
  const t = await simulateRun();
  aws.clock.advance(30_000);

  const out = await aws.runJob(defineStep(report, aws.deps()), job('Report', 'job-report', { environment: 'production' }));
  expect(out.report.kind).toBe('success');
  const summary: string = out.report.body.executionDetails.summary;
  const url = `https://s3.console.aws.amazon.com/s3/object/${BUCKET}?region=eu-central-1&prefix=production-deploy/${EXECUTION}/report.html`;
  expect(summary).toContain(`deployment report: ${url}`);
  expect(out.report.body.outputVariables).toEqual({ REPORT_URL: url });

  const doc = DeploymentReport.parse(JSON.parse(stored('json')!));
  expect(doc).toMatchObject({ pipeline: 'production-deploy', executionId: EXECUTION, version: V2, outcome: 'Succeeded', rollback: false, commitMs: commit });
  expect(doc.stages.map((s) => s.name)).toEqual(['Run_pre-deploy_hook', 'Pre_Deployment_Configuration', 'Deploy_Scheduler', 'Run_install', 'Deploy_Spryker_services']);
  expect(doc.stages.every((s) => s.outcome === 'Succeeded' && s.endMs >= s.startMs)).toBe(true);

  // The states, in TIMELINE_STATES order, each edge where the run put it.
  const span = Object.fromEntries(doc.states.map((s) => [s.state, s]));
  expect(doc.states.map((s) => s.state)).toEqual(['preDeployHook', 'schedulerPaused', 'dbAheadOfServices', 'syncCatchUp', 'mixedVersions']);
  expect(doc.states.map((s) => s.state)).toEqual(TIMELINE_STATES.filter((s) => s in span));
  expect(span.preDeployHook).toMatchObject({ startMs: t.preStarted, endMs: t.preStopped });
  expect(span.schedulerPaused).toMatchObject({ startMs: t.preStopped, endMs: t.installStopped });
  expect(span.dbAheadOfServices).toMatchObject({ startMs: t.installStarted, endMs: t.rolloutStarted + ROLLOUT_MS });
  expect(span.syncCatchUp.startMs).toBe(t.installStopped);
  expect(span.syncCatchUp.endMs).toBeUndefined(); // the sync gate (not part of this run) ends it
  expect(span.mixedVersions).toMatchObject({ startMs: t.rolloutStarted, endMs: t.rolloutStarted + ROLLOUT_MS });
  // Each state starts no earlier than the one before it in a run.
  const starts = doc.states.map((s) => s.startMs);
  expect([...starts].sort((a, b) => a - b)).toEqual(starts);

  const w = doc.windows;
  expect(Math.abs(w.preDeployHook! - PRE_MS)).toBeLessThanOrEqual(TOLERANCE_MS);
  expect(Math.abs(w.mixedVersions! - ROLLOUT_MS)).toBeLessThanOrEqual(TOLERANCE_MS);
  expect(Math.abs(w.schedulerPaused! - (t.installStopped - t.preStopped))).toBeLessThanOrEqual(TOLERANCE_MS);
  expect(w.schedulerPaused!).toBeGreaterThan(INSTALL_MS);
  expect(Math.abs(w.dbAheadOfServices! - (t.rolloutStarted + ROLLOUT_MS - t.installStarted))).toBeLessThanOrEqual(TOLERANCE_MS);
  expect(w.syncCatchUp).toBe(doc.endMs - t.installStopped);
  expect(doc.leadTimeMs).toBe(t.rolloutStarted + ROLLOUT_MS - commit);

  const html = stored('html')!;
  for (const state of doc.states) expect(html).toContain(state.state);

  // The metrics, once, with the environment as the only dimension.
  expect(emf).toHaveLength(1);
  const [m] = emf;
  expect(m._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [['Environment']] });
  expect(m).toMatchObject({ Environment: 'production', DeploymentSucceeded: 1, DeploymentFailed: 0, Rollback: 0, LeadTime: doc.leadTimeMs! / 1000, Window_preDeployHook: PRE_MS / 1000, Window_mixedVersions: ROLLOUT_MS / 1000 });
  expect(m.StageDuration_Run_install).toBeGreaterThan(INSTALL_MS / 1000);
  expect(m._aws.Timestamp).toBe(doc.endMs);

  // The execution's SUCCEEDED event: the report is rewritten from CodePipeline, the metrics not emitted again.
  const after = await reportAfterExecution({ pipeline: 'production-deploy', executionId: EXECUTION, state: 'SUCCEEDED' }, eventDeps());
  expect(after).toMatchObject({ written: true, summary: expect.stringContaining('(metrics were already emitted)') });
  expect(emf).toHaveLength(1);
});

test('a failed run: the end event writes the report, the failed stage and the states left open', async () => {
  const t = await simulateRun(1);
  aws.clock.advance(10_000);
  const out = await reportAfterExecution({ pipeline: 'production-deploy', executionId: EXECUTION, state: 'FAILED' }, eventDeps());
  expect(out.written).toBe(true);
  const doc = DeploymentReport.parse(JSON.parse(stored('json')!));
  expect(doc.outcome).toBe('Failed');
  expect(doc.stages.map((s) => [s.name, s.outcome])).toEqual([
    ['Run_pre-deploy_hook', 'Succeeded'],
    ['Pre_Deployment_Configuration', 'Succeeded'],
    ['Deploy_Scheduler', 'Succeeded'],
    ['Run_install', 'Failed'],
  ]);
  // scheduler:setup never ran: the scheduler stays paused and the database ahead, counted to the run's end.
  const span = Object.fromEntries(doc.states.map((s) => [s.state, s]));
  expect(Object.keys(span)).toEqual(['preDeployHook', 'schedulerPaused', 'dbAheadOfServices']);
  expect(span.schedulerPaused.endMs).toBeUndefined();
  expect(span.dbAheadOfServices).toMatchObject({ startMs: t.installStarted });
  expect(doc.endMs).toBe(doc.stages[3].endMs);
  expect(doc.windows.schedulerPaused).toBe(doc.endMs - t.preStopped);
  expect(doc.leadTimeMs).toBeUndefined();
  expect(emf).toHaveLength(1);
  expect(emf[0]).toMatchObject({ DeploymentSucceeded: 0, DeploymentFailed: 1 });
  expect(emf[0].LeadTime).toBeUndefined();
  expect(stored('html')).toContain('Run_install');
});

test('two deliveries of the end event in flight at once: both write the same report, the metrics once', async () => {
  await simulateRun(1);
  const input = { pipeline: 'production-deploy', executionId: EXECUTION, state: 'FAILED' };
  const [a, b] = await Promise.all([reportAfterExecution(input, eventDeps()), reportAfterExecution(input, eventDeps())]);
  expect([a.written, b.written]).toEqual([true, true]);
  expect(emf).toHaveLength(1);
  expect(aws.dynamodb.tables.get(STEP_TABLE)!.has(`record#report-metrics#${EXECUTION}`)).toBe(true);
});

describe('forged or premature events: refused, nothing written', () => {
  const puts = () => aws.calls('S3.PUT').filter((b) => String(b.path).startsWith(`/${BUCKET}/`));

  test('another environment\'s pipeline', async () => {
    await simulateRun(1);
    const out = await reportAfterExecution({ pipeline: 'staging-deploy', executionId: EXECUTION, state: 'FAILED' }, eventDeps());
    expect(out).toEqual({ written: false, summary: expect.stringContaining("pipeline staging-deploy is not one of this environment's") });
    expect(aws.calls('CodePipeline.GetPipelineExecution')).toHaveLength(0);
    expect(puts()).toHaveLength(0);
  });

  test('an execution CodePipeline does not know, and an id that is no execution id', async () => {
    await simulateRun(1);
    const unknown = await reportAfterExecution({ pipeline: 'production-deploy', executionId: '99999999-9999-4999-8999-999999999999', state: 'FAILED' }, eventDeps());
    expect(unknown.summary).toMatch(/CodePipeline knows no such execution .*PipelineExecutionNotFoundException/);
    const bad = await reportAfterExecution({ pipeline: 'production-deploy', executionId: '../../other/x', state: 'FAILED' }, eventDeps());
    expect(bad.summary).toContain('is not a pipeline execution id');
    expect(puts()).toHaveLength(0);
    expect(emf).toHaveLength(0);
  });

  test('an end event for an execution CodePipeline still shows running: its word, not the event\'s', async () => {
    setupShop(aws);
    aws.ecs.nextTasks.push({ exitCode: 0, runMs: 3_600_000 });
    // One invocation of the pre-deploy hook: the task runs on, the action stays InProgress.
    await defineStep(runHook, aws.deps())(aws.event(job('Run_pre-deploy_hook', 'job-pre', { model: MODEL, hook: 'beforeDeploy', taskDefinition: 'live', then: SUSPEND, timeoutMinutes: 90 })), aws.context(60_000));
    const out = await reportAfterExecution({ pipeline: 'production-deploy', executionId: EXECUTION, state: 'FAILED' }, eventDeps());
    expect(out).toEqual({ written: false, summary: expect.stringContaining('CodePipeline shows the execution InProgress, not ended') });
    expect(aws.calls('CodePipeline.GetPipelineExecution')).toHaveLength(3);
    expect(puts()).toHaveLength(0);
    expect(emf).toHaveLength(0);
  });

  test('a report job CodePipeline never issued', async () => {
    await simulateRun(1);
    await defineStep(report, aws.deps())(jobEvent(job('Report', 'forged-report', { environment: 'production' })), aws.context());
    expect(aws.codepipeline.reports.filter((r) => r.jobId === 'forged-report')).toHaveLength(0);
    expect(puts()).toHaveLength(0);
    expect(emf).toHaveLength(0);
  });
});

test('a stage-rollback execution counts as a rollback', async () => {
  await simulateRun(1);
  aws.codepipeline.executions.overrides.set(EXECUTION, { executionType: 'ROLLBACK' });
  await reportAfterExecution({ pipeline: 'production-deploy', executionId: EXECUTION, state: 'FAILED' }, eventDeps());
  expect(JSON.parse(stored('json')!).rollback).toBe(true);
  expect(emf[0]).toMatchObject({ Rollback: 1 });
  expect(PIPELINES).toContain('production-deploy');
});

describe('the cutover section: the mixed-version window beside what rolling took', () => {
  const POINTER = `/${BUCKET}/${latestRollingKey('production')}`;
  const pointer = () => {
    const raw = aws.objects.get(POINTER);
    return raw && LatestRolling.parse(JSON.parse(raw.toString()));
  };
  const runReport = () => aws.runJob(defineStep(report, aws.deps()), job('Report', 'job-report', { environment: 'production' }));

  test('a rolling run: mode rolling in the report, and the environment\'s pointer names it; an older run\'s report never moves it back', async () => {
    await simulateRun();
    const out = await runReport();
    expect(out.report.body.executionDetails.summary).toMatch(/; cutover rolling: V1 and V2 mixed for 2m 00s$/);
    const doc = DeploymentReport.parse(JSON.parse(stored('json')!));
    expect(doc.cutover).toEqual({ mode: 'rolling' });
    const mixed = doc.states.find((st) => st.state === 'mixedVersions')!;
    expect(pointer()).toEqual({ v: 1, pipeline: 'production-deploy', executionId: EXECUTION, mixedVersionsMs: ROLLOUT_MS, endMs: mixed.endMs });
    // A later rolling run is recorded; then this (older) run's report is rewritten: the pointer stays on the later one.
    const later: LatestRolling = { v: 1, pipeline: 'production-deploy', executionId: '11111111-2222-4333-8444-555555555555', mixedVersionsMs: 90_000, endMs: mixed.endMs! + 3_600_000 };
    aws.objects.set(POINTER, Buffer.from(JSON.stringify(later)));
    await reportAfterExecution({ pipeline: 'production-deploy', executionId: EXECUTION, state: 'SUCCEEDED' }, eventDeps());
    expect(pointer()).toEqual(later);
    // Read bounded: a listing of the one key, then the object.
    expect(aws.calls('S3.GET').map((c) => c.path)).toEqual(expect.arrayContaining([`/${BUCKET}/`, POINTER]));
  });

  test('a together run of 4 services: the shift spread, the arrival spread of this run and the last rolling run, in JSON, HTML, terminal, summary and metrics', async () => {
    const last: LastRollingRun = { pipeline: 'production-deploy', executionId: '0a0b0c0d-1111-4222-8333-444455556666', mixedVersionsMs: 134_000, endMs: aws.clock.now - 86_400_000 };
    aws.objects.set(POINTER, Buffer.from(JSON.stringify({ v: 1, ...last })));
    const services = together.shop(['zed', 'yves', 'glue', 'backoffice'], (_, i) => ({ scaleUpMs: 40_000 + i * 25_000 }));
    const deployed = await together.deploy({ pipelineExecutionId: EXECUTION });
    expect(deployed.report.kind).toBe('success');
    aws.clock.advance(5_000);
    const out = await runReport();
    const doc = DeploymentReport.parse(JSON.parse(stored('json')!));
    const shifts = together.deploymentsOf(services).map((d) => d.shiftedAt!);
    const arrived = together.arrivals(services);
    expect(doc.cutover).toEqual({ mode: 'together', services: 4, arrived: 4, shifted: 4, shiftSpreadMs: spreadOf(shifts), arrivalSpreadMs: spreadOf(arrived), lastRolling: last });
    // The window the timeline shows is the shift spread; rolling would have mixed at least the arrival spread.
    expect(doc.windows.mixedVersions).toBe(spreadOf(shifts));
    expect(spreadOf(shifts)).toBeLessThan(10_000);
    expect(spreadOf(arrived)).toBeGreaterThanOrEqual(75_000);

    const shift = `${(spreadOf(shifts) / 1000).toFixed(1)} s`;
    expect(out.report.body.executionDetails.summary).toContain(`; cutover together: 4/4 services shifted within ${shift}; rolling: ≥ 1m 15s had each shifted when ready, last rolling run 2m 14s`);
    const html = stored('html')!;
    expect(XMLValidator.validate(html)).toBe(true);
    expect(html).toContain('<h2>Cutover</h2>');
    expect(html).toContain(`<tr><th>V1 and V2 mixed (shift spread)</th><td>${shift} (first to last production shift)</td></tr>`);
    expect(html).toContain('<tr><th>rolling, this run (each shifting when ready)</th><td>at least 1m 15s (first to last service ready at the barrier)</td></tr>');
    expect(html).toContain(`<tr><th>rolling, last rolling run</th><td>2m 14s (mixedVersions of production-deploy execution ${last.executionId}, ${new Date(last.endMs).toISOString()})</td></tr>`);
    expect(html).toMatch(/<text x="4" y="\d+" class="cutover">cutover together: 4\/4 services shifted within/);
    expect(renderTerminal(doc, 100).split('\n').pop()).toBe(`cutover together: 4/4 services shifted within ${shift}; rolling: ≥ 1m 15s had each shifted when ready, last rolling run 2m 14s`);
    expect(emf[0]).toMatchObject({ CutoverShiftSpread: spreadOf(shifts) / 1000, CutoverArrivalSpread: spreadOf(arrived) / 1000, Window_mixedVersions: spreadOf(shifts) / 1000 });
    // A together run is no rolling run: the pointer still names the last rolling one.
    expect(pointer()).toEqual({ v: 1, ...last });
  });

  test('a together run failing before the shift: none shifted, the arrivals so far; an unreadable pointer leaves the comparison out, escaped data stays data', async () => {
    together.shop(['zed', 'yves', 'glue'], (s) => ({ scaleUpMs: s === 'production-yves' ? 90_000 : 40_000 }));
    aws.bluegreen.nextGreen.set('production-yves', 'failing');
    aws.objects.set(POINTER, Buffer.from('{"v": 1, "pipeline": "<b>not a pointer'));
    const deployed = await together.deploy({ pipelineExecutionId: EXECUTION });
    expect(deployed.report.kind).toBe('failure');
    const out = await reportAfterExecution({ pipeline: 'production-deploy', executionId: EXECUTION, state: 'FAILED' }, eventDeps());
    expect(out.written).toBe(true);
    expect(out.summary).toMatch(/; cutover together: no service of 3 shifted$/);
    const doc = DeploymentReport.parse(JSON.parse(stored('json')!));
    expect(doc.outcome).toBe('Failed');
    expect(doc.cutover).toMatchObject({ mode: 'together', services: 3, arrived: 2, shifted: 0 });
    expect(doc.cutover).not.toHaveProperty('shiftSpreadMs');
    expect(doc.cutover).not.toHaveProperty('arrivalSpreadMs');
    expect(doc.cutover).not.toHaveProperty('lastRolling');
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining('latest-rolling/production.json is not a version 1 pointer'));
    const html = stored('html')!;
    expect(html).toContain('<td>together: 0 of 3 services shifted production traffic (2 arrived at the barrier)</td>');
    expect(html).toContain('<td>none: no service shifted</td>');
    expect(html).toContain('<tr><th>rolling, this run (each shifting when ready)</th><td>not known: not every service got ready</td></tr>');
    expect(html).toContain('<tr><th>rolling, last rolling run</th><td>none found in the reports bucket</td></tr>');
    expect(emf[0]).not.toHaveProperty('CutoverShiftSpread');

    // A pointer whose fields carry markup: rendered as text, the page and its SVG stay well-formed.
    const hostile = { ...doc, cutover: { ...doc.cutover!, lastRolling: { pipeline: 'p<script>', executionId: '"&\'<>', mixedVersionsMs: 1000, endMs: 0 } } } as DeploymentReport;
    const page = renderReport(hostile);
    expect(XMLValidator.validate(page)).toBe(true);
    expect(page).not.toContain('<script>');
    expect(page).toContain('p&lt;script&gt; execution &quot;&amp;&apos;&lt;&gt;');
  });

  test('version 1 stays readable both ways: a report without the section reads and renders as before; a reader that knows no cutover reads a new one', () => {
    const old = {
      v: 1,
      pipeline: 'production-deploy',
      executionId: EXECUTION,
      outcome: 'Succeeded',
      startMs: 0,
      endMs: 600_000,
      stages: [{ name: 'Deploy_Spryker_services', startMs: 0, endMs: 600_000, outcome: 'Succeeded' }],
      states: [{ state: 'mixedVersions', startMs: 100_000, endMs: 220_000 }],
      windows: { mixedVersions: 120_000 },
    };
    const parsed = DeploymentReport.parse(old);
    expect(parsed.cutover).toBeUndefined();
    expect(renderReport(parsed)).not.toContain('Cutover');
    expect(renderTerminal(parsed).split('\n').pop()).toMatch(/^maintenance /);
    // The schema as it was before the section (zod objects strip what they do not know).
    const before = DeploymentReport.omit({ cutover: true });
    const current = { ...old, cutover: { mode: 'together', services: 2, arrived: 2, shifted: 2, shiftSpreadMs: 900, arrivalSpreadMs: 30_000 } };
    expect(before.parse(current)).toEqual(parsed);
    expect(() => DeploymentReport.parse({ ...old, cutover: { mode: 'sideways' } })).toThrow(/mode/);
  });
});
