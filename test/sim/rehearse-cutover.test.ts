/**
 * `rehearse --cutover together` (sim/rehearse-cutover.ts): the CLI's entry point in-process
 * (rehearseMain, as bin/cli.ts calls it) over the handler bundles jest's globalSetup builds
 * (dist/handlers/): Deploy_Spryker_services cuts the shop over with the simulated ECS blue/green
 * deployments, which invoke the bundled cutover hook at their lifecycle stages.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { DeploymentReport } from '../../lib/contracts/report';
import { formatDuration } from '../../lib/report/render';
import { rehearseMain } from '../../sim/cli';

const HANDLERS = path.join(__dirname, '..', '..', 'dist', 'handlers');

/** One CLI run: exit code, the report it wrote, what it said on stderr (--json: everything but the report). */
async function rehearseCli(args: string[]) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-cutover-'));
  const stderr: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
  try {
    const code = await rehearseMain([...args, '--json', '--verbose', '--handlers', HANDLERS, '--out', out]);
    const file = path.join(out, 'report.json');
    return { code, out, report: fs.existsSync(file) ? DeploymentReport.parse(JSON.parse(fs.readFileSync(file, 'utf8'))) : undefined, html: fs.existsSync(file) ? fs.readFileSync(path.join(out, 'report.html'), 'utf8') : '', stderr: stderr.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('20 services, seed 3: together against rolling, the same shop', () => {
  let together: Awaited<ReturnType<typeof rehearseCli>>;
  let rolling: Awaited<ReturnType<typeof rehearseCli>>;
  beforeAll(async () => {
    rolling = await rehearseCli(['--services', '20', '--seed', '3']);
    together = await rehearseCli(['--services', '20', '--seed', '3', '--cutover', 'together', '--last-rolling', path.join(rolling.out, 'report.json')]);
  }, 180_000);

  test('together: every service shifted production traffic within 10 s; a rolling rehearsal of the same shop mixed far longer', () => {
    expect([together.code, rolling.code]).toEqual([0, 0]);
    const t = together.report!;
    expect(t.stages.every((s) => s.outcome === 'Succeeded')).toBe(true);
    expect(t.cutover).toMatchObject({ mode: 'together', services: 20, arrived: 20, shifted: 20 });
    const c = t.cutover!.mode === 'together' ? t.cutover! : undefined;
    expect(c!.shiftSpreadMs).toBe(t.windows.mixedVersions);
    expect(t.windows.mixedVersions!).toBeLessThan(10_000);
    // The services got ready spread over simulated time (the seeded rollout times): rolling would have mixed them.
    expect(c!.arrivalSpreadMs!).toBeGreaterThan(10_000);
    expect(rolling.report!.cutover).toEqual({ mode: 'rolling' });
    expect(rolling.report!.windows.mixedVersions!).toBeGreaterThan(c!.arrivalSpreadMs!);
    expect(rolling.report!.windows.mixedVersions!).toBeGreaterThan(6 * t.windows.mixedVersions!);
    // --last-rolling: the rolling rehearsal is the comparison measured, as a real run's report finds its environment's last rolling run.
    expect(c!.lastRolling).toEqual({ pipeline: 'production-deploy', executionId: rolling.report!.executionId, mixedVersionsMs: rolling.report!.windows.mixedVersions, endMs: expect.any(Number) });
    console.info(`together: shift spread ${t.windows.mixedVersions} ms, arrivals spread ${c!.arrivalSpreadMs} ms; rolling: mixedVersions ${rolling.report!.windows.mixedVersions} ms`);
  });

  test('the bundled hook held each service at POST_TEST_TRAFFIC_SHIFT and released all; the report shows the spread beside the rolling comparison', () => {
    const hookLines = together.stderr.split('\n').filter((l) => l.startsWith('[cutover-hook] '));
    const answers = hookLines.flatMap((l) => {
      try {
        return [JSON.parse(l.slice('[cutover-hook] '.length))];
      } catch {
        return [];
      }
    }).filter((l) => l.answer);
    const services = new Set(answers.map((a) => a.service));
    expect(services.size).toBe(20);
    for (const s of services) {
      const own = answers.filter((a) => a.service === s);
      expect(own.filter((a) => a.stage === 'POST_TEST_TRAFFIC_SHIFT').at(-1).answer).toEqual({ hookStatus: 'SUCCEEDED' });
      expect(own.find((a) => a.stage === 'POST_PRODUCTION_TRAFFIC_SHIFT').answer).toEqual({ hookStatus: 'SUCCEEDED' });
    }
    expect(answers.some((a) => a.answer.hookStatus === 'IN_PROGRESS')).toBe(true);
    expect(XMLValidator.validate(together.html)).toBe(true);
    expect(together.html).toContain('<h2>Cutover</h2>');
    expect(together.html).toMatch(/<tr><th>V1 and V2 mixed \(shift spread\)<\/th><td>\d\.\d s \(first to last production shift\)<\/td><\/tr>/);
    expect(together.html).toMatch(/<tr><th>rolling, this run \(each shifting when ready\)<\/th><td>at least \d+s \(first to last service ready at the barrier\)<\/td><\/tr>/);
    expect(together.html).toContain(`<tr><th>rolling, last rolling run</th><td>${formatDuration(rolling.report!.windows.mixedVersions!)} (mixedVersions of production-deploy execution ${rolling.report!.executionId}, `);
    expect(rolling.html).toContain('<tr><th>cutover</th><td>rolling: each service switched on its own schedule</td></tr>');
  });
});

test('--fail-service in together mode: no service shifted, every one back on blue, the failure names the service', async () => {
  const run = await rehearseCli(['--services', '8', '--cutover', 'together', '--fail-service', 'glue']);
  expect(run.code).toBe(1);
  const failure = run.stderr.split('\n').find((l) => l.startsWith('Deploy_Spryker_services failed: '))!;
  expect(failure).toMatch(
    /^Deploy_Spryker_services failed: cutover failed before any service shifted production traffic in cluster production: service production-glue: deployment \S+ ROLLBACK_IN_PROGRESS: ECS deployment circuit breaker: tasks failed to start\. \(at SCALE_UP\)\. Every service is back on its previous revision \(blue\): /,
  );
  expect(failure.match(/production-[\w-]+ ROLLBACK_SUCCESSFUL/g)).toHaveLength(8);
  const report = run.report!;
  expect(report.outcome).toBe('Failed');
  expect(report.stages.at(-1)).toMatchObject({ name: 'Deploy_Spryker_services', outcome: 'Failed' });
  expect(report.cutover).toMatchObject({ mode: 'together', services: 8, shifted: 0 });
  expect(report.cutover).not.toHaveProperty('shiftSpreadMs');
  expect(report.states.find((s) => s.state === 'mixedVersions')).toBeUndefined();
  // The hook answered no POST_PRODUCTION_TRAFFIC_SHIFT: production traffic never moved.
  expect(run.stderr).not.toContain('"stage":"POST_PRODUCTION_TRAFFIC_SHIFT"');
}, 120_000);

test('--cutover takes rolling or together; --last-rolling a report of a rolling run whose services all completed', async () => {
  const run = await rehearseCli(['--services', '1', '--cutover', 'sideways']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("rehearse: rehearsal options: cutover: 'sideways' is not one of rolling, together");
  const missing = await rehearseCli(['--services', '1', '--cutover', 'together', '--last-rolling', '/nonexistent/report.json']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('rehearsal options: lastRolling: /nonexistent/report.json is not a deployment report (report.json): ENOENT');
  const notRolling = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-cutover-')), 'report.json');
  fs.writeFileSync(notRolling, JSON.stringify({ v: 1, pipeline: 'p', executionId: 'e', outcome: 'Failed', startMs: 0, endMs: 1, stages: [], states: [{ state: 'mixedVersions', startMs: 0 }], windows: {}, cutover: { mode: 'rolling' } }));
  const open = await rehearseCli(['--services', '1', '--cutover', 'together', '--last-rolling', notRolling]);
  expect(open.code).toBe(2);
  expect(open.stderr).toContain(`is not the report of a rolling deployment whose services all completed (no closed mixedVersions)`);
});
