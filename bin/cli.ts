#!/usr/bin/env node
/**
 * `cdk-spryker-pipeline validate <deploy file>`: the preflight pass of SprykerPipeline, without
 * synth, for a pre-push hook or CI. Prints every finding with its code; exits 1 when one is critical.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { formatFinding, PREFLIGHT_RULES } from '../lib/config/preflight';
import { preflight, readDeployFile } from '../lib/config/deploy-file';
import { RELEASE_DIFF_USAGE, releaseDiffMain } from './release-diff';

const USAGE = `usage: cdk-spryker-pipeline validate <deploy file> [--environment <env>] [--template-dir <dir>]... [--json]
       cdk-spryker-pipeline rules
       cdk-spryker-pipeline --version

  validate   check a docker-sdk deploy file before it deploys; exit 1 on critical findings
  rules      list the preflight rules and their codes
${RELEASE_DIFF_USAGE}
       cdk-spryker-pipeline rehearse [options]   (rehearse --help)

  rehearse   a deployment on a simulated AWS and RabbitMQ with the package's own step handlers, in seconds`;

function main(argv: string[]): number | Promise<number> {
  if (argv[0] === 'release-diff') return releaseDiffMain(argv.slice(1));
  if (argv[0] === 'rehearse') {
    const rehearsal = loadRehearsal();
    if (!rehearsal) {
      console.error('cdk-spryker-pipeline rehearse: the rehearsal bundle dist/sim/rehearse.js is missing: run npm run bundle');
      return 1;
    }
    return rehearsal.rehearseMain(argv.slice(1));
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        environment: { type: 'string' },
        'template-dir': { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, file, ...extra] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(packageVersion());
    return 0;
  }
  if (command !== undefined && command !== 'validate' && command !== 'rules') {
    console.error(`cdk-spryker-pipeline: unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  if (command === 'rules' && file === undefined) {
    for (const r of PREFLIGHT_RULES) console.log(`${r.code}  ${r.severity.padEnd(8)}  ${r.name}`);
    return 0;
  }
  if (command !== 'validate' || file === undefined || extra.length) {
    console.error(USAGE);
    return 2;
  }

  const config = readDeployFile(file, { templateDirs: values['template-dir'] });
  const findings = preflight(config, { environment: values.environment });
  const critical = findings.filter((f) => f.severity === 'critical').length;
  if (values.json) {
    console.log(JSON.stringify({ file: config.file, files: config.files, findings }, null, 2));
  } else {
    for (const f of findings) console.log(formatFinding(f));
    const verdict = critical ? 'refused: fix the critical findings before deploying' : 'ok';
    console.log(`${file}: ${critical} critical, ${findings.length - critical} warning(s): ${verdict}`);
  }
  return critical ? 1 : 0;
}

/**
 * The rehearsal ships as one bundle (dist/sim/rehearse.js: the simulator, the SDK it gives the
 * handlers, the job runtime's readers), loaded only for `rehearse`: the other commands stay light.
 * Beside bin/ once built, or the build's in a source tree.
 */
function loadRehearsal(): { rehearseMain(argv: string[]): Promise<number> } | undefined {
  const file = [path.join(__dirname, '..', 'sim', 'rehearse.js'), path.join(__dirname, '..', 'dist', 'sim', 'rehearse.js')].find((f) => fs.existsSync(f));
  return file ? require(file) : undefined;
}

/** package.json beside bin/ in the source tree, two levels up once compiled to dist/bin/. */
function packageVersion(): string {
  const file = [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')].find((f) => fs.existsSync(f));
  return file ? JSON.parse(fs.readFileSync(file, 'utf8')).version : 'unknown';
}

// `... | head` closes the pipe early: the reader has what it wanted, which is not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

void Promise.resolve(main(process.argv.slice(2))).then((code) => (process.exitCode = code));
