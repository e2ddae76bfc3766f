/**
 * `cdk-spryker-pipeline rehearse`: one simulated deployment with the package's own handler
 * bundles (docs/rehearse.md). Draws the states timeline in the terminal and writes the report a
 * real run writes (report.json, report.html) into --out. Exit 0 when the rehearsed deployment
 * succeeded, 1 when it failed (as the pipeline would), 2 on usage errors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { TIMELINE_STATES } from '../lib/contracts/timeline';
import { formatDuration, renderReport, renderTerminal } from '../lib/report/render';
import { rehearse, type RehearsalOptions } from './rehearse';
import { readLastRolling } from './rehearse-cutover';

export const REHEARSE_USAGE = `usage: cdk-spryker-pipeline rehearse [--services <n>] [--fail-service <app>]... [--maintenance] [--seed <n>] [--cutover rolling|together [--last-rolling <report.json>]]
         [--build-seconds <s>] [--pre-deploy-seconds <s>] [--install-seconds <s>] [--post-deploy-seconds <s>]
         [--rollout-seconds <s>] [--sync-seconds <s>] [--sync-await] [--broker-latency-ms <ms>]
         [--out <dir>] [--json] [--width <columns>] [--verbose]

  rehearse   a deployment on a simulated AWS and RabbitMQ with the package's own step handlers, in
             seconds and without an AWS account: the states timeline, the windows, the report files`;

/** Numeric options: flag → RehearsalOptions key. */
const NUMBERS = {
  services: 'services',
  seed: 'seed',
  'build-seconds': 'buildSeconds',
  'pre-deploy-seconds': 'preDeploySeconds',
  'install-seconds': 'installSeconds',
  'post-deploy-seconds': 'postDeploySeconds',
  'rollout-seconds': 'rolloutSeconds',
  'sync-seconds': 'syncSeconds',
  'broker-latency-ms': 'brokerLatencyMs',
} as const satisfies Record<string, keyof RehearsalOptions>;

/** The handler bundles beside this file once built (dist/sim → dist/handlers), or the build's in a source tree. */
function handlersDir(): string {
  const candidates = [path.join(__dirname, '..', 'handlers'), path.join(__dirname, '..', '..', 'dist', 'handlers')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'deploy', 'index.js'))) ?? candidates[0];
}

export async function rehearseMain(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(NUMBERS).map((k) => [k, { type: 'string' as const }])),
        'fail-service': { type: 'string', multiple: true },
        cutover: { type: 'string' },
        'last-rolling': { type: 'string' },
        maintenance: { type: 'boolean', default: false },
        'sync-await': { type: 'boolean', default: false },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        width: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        handlers: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${REHEARSE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(REHEARSE_USAGE);
    return 0;
  }
  const problems: string[] = [];
  const numbers: Partial<Record<(typeof NUMBERS)[keyof typeof NUMBERS], number>> = {};
  for (const [flag, key] of Object.entries(NUMBERS)) {
    const raw = (values as Record<string, unknown>)[flag] as string | undefined;
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) problems.push(`--${flag} '${raw}' is not a number`);
    else numbers[key] = n;
  }
  const width = values.width === undefined ? process.stdout.columns || 100 : Number(values.width);
  if (!Number.isInteger(width) || width < 40) problems.push(`--width '${values.width}' is not a whole number of at least 40 columns`);
  if (problems.length) {
    console.error(`rehearse: ${problems.join('; ')}\n${REHEARSE_USAGE}`);
    return 2;
  }

  let result;
  try {
    result = await rehearse({
      ...numbers,
      handlersDir: values.handlers ? path.resolve(values.handlers) : handlersDir(),
      failServices: values['fail-service'] ?? [],
      maintenance: values.maintenance,
      cutover: values.cutover as RehearsalOptions['cutover'],
      lastRolling: values['last-rolling'] === undefined ? undefined : readLastRolling(values['last-rolling']),
      syncAwait: values['sync-await'],
      log: { lines: [], onLine: values.verbose ? (l) => console.error(`[${l.handler}] ${l.text}`) : undefined },
    });
  } catch (e) {
    // Bad options are the user's to fix (usage); anything else is the rehearsal's.
    const usage = e instanceof RangeError;
    console.error(`rehearse: ${(e as Error).message}${usage ? `\n${REHEARSE_USAGE}` : ''}`);
    return usage ? 2 : 1;
  }
  const { report, failure } = result;
  const out = values.out ? path.resolve(values.out) : fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-spryker-rehearsal-'));
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(out, 'report.html'), renderReport(report));

  // With --json, stdout is the report alone; the rest goes to stderr.
  const say = values.json ? console.error : console.log;
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(renderTerminal(report, width));
    console.log('');
    for (const state of TIMELINE_STATES) {
      const ms = report.windows[state];
      console.log(`  ${state.padEnd(22)} ${ms === undefined ? 'not entered' : `${formatDuration(ms)} (${ms} ms)`}`);
    }
    console.log('');
  }
  if (failure) say(`${failure.stage} failed: ${failure.message}`);
  say(`report: ${path.join(out, 'report.html')}\n        ${path.join(out, 'report.json')}`);
  say(`rehearsed ${formatDuration(report.endMs - report.startMs)} of deployment in ${formatDuration(result.wallMs)}`);
  return failure ? 1 : 0;
}
