/**
 * The consumer journey, offline but for the npm cache: `npm pack`, a fresh app in os.tmpdir()
 * with only the tarball, aws-cdk-lib and constructs (no esbuild, no Docker, no tsx), the
 * README's app compiled by plain `tsc` with `skipLibCheck: false` and synthesized by the real
 * aws-cdk CLI; then the same against the oldest aws-cdk-lib of the peer range and the latest.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { compile, createApp, installedVersion, latestAwsCdkLib, packCleanCopy, ROOT, run, synth, tmpDir, type Packed, type Run } from './journey';

const STACK = 'ShopPipeline';
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const HANDLERS = fs.readdirSync(path.join(ROOT, 'lambda')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));

/** The README's `bin/app.ts` blocks (Props, then Extending), as a reader copies them. */
export function readmeApp(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n(\/\/ bin\/app\.ts[^\n]*\n[\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toHaveLength(2);
  return blocks.join('\n');
}

function stagesOf(template: Record<string, any>, pipelineName: string): string[] {
  const pipeline = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline' && r.Properties.Name === pipelineName);
  return pipeline?.Properties.Stages.map((s: { Name: string }) => s.Name) ?? [];
}

function runtimesOf(template: Record<string, any>): string[] {
  return [...new Set(Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Runtime as string))];
}

/** What a compile reports, minus tsc's noise: the diagnostics, or '' when clean. */
const diagnostics = (r: Run): string => (r.status === 0 ? '' : r.stdout + r.stderr);

let work: string;
let packed: Packed;

beforeAll(() => {
  work = tmpDir('spryker-consumer-');
  packed = packCleanCopy(work);
}, 900_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the package as npm ships it', () => {
  test('compiled lib and CLI, a bundle per handler, the build script, docs, LICENSE; no sources, tests or demo', () => {
    const files = packed.files;
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/bin/cli.js', 'dist/scripts/build-images.sh']));
    expect(files).toEqual(expect.arrayContaining(HANDLERS.map((h) => `dist/handlers/${h}/index.js`)));
    expect(files.filter((f) => f.startsWith('dist/handlers/')).sort()).toEqual(HANDLERS.map((h) => `dist/handlers/${h}/index.js`).sort());
    const unwanted = files.filter((f) => /(^|\/)test\/|\.test\.|(^|\/)bin\/(app|demo)\.|(^|\/)lambda\/|^(lib|lambda|bin|bench|scripts)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
    expect(unwanted).toEqual([]);
    // The contracts (lib/contracts) are the only stack/handler types shipped: no declaration reaches into a handler, the SDK or Lambda's types.
    const leaks = files.filter((f) => f.endsWith('.d.ts') && /['"](@aws-sdk\/[^'"]*|aws-lambda|[^'"]*\/lambda\/[^'"]*)['"]/.test(fs.readFileSync(path.join(work, 'checkout', f), 'utf8')));
    expect(leaks).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['dist/lib/contracts/model.d.ts', 'dist/lib/contracts/params.d.ts']));
  });

  test('metadata: MIT, repository/homepage/bugs of one repository; dependencies are what lib needs at synth', () => {
    expect(pkg.license).toBe('MIT');
    expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const repo = 'github.com/cdk-spryker-pipeline/cdk-spryker-pipeline';
    expect([pkg.repository.url, pkg.homepage, pkg.bugs.url].every((u: string) => u.includes(repo))).toBe(true);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    // Every package the shipped JavaScript requires (outside node:) is a dependency or a peer.
    // The bundles carry what they need (the rehearsal's runs from the tarball below, with no SDK installed).
    const shipped = packed.files.filter((f) => f.endsWith('.js') && !f.startsWith('dist/handlers/') && !f.startsWith('dist/sim/'));
    const required = new Set<string>();
    for (const f of shipped) {
      const js = fs.readFileSync(path.join(work, 'checkout', f), 'utf8');
      for (const m of js.matchAll(/require\("([^".][^"]*)"\)/g)) {
        const id = m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0];
        if (!id.startsWith('node:') && !require('module').builtinModules.includes(id)) required.add(id);
      }
    }
    const declared = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies)];
    expect([...required].filter((id) => !declared.includes(id))).toEqual([]);
    expect(required.has('yaml')).toBe(true);
  });
});

/** GitHub's anchor of a heading: lowercase, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');

test('every link in README.md and docs/*.md resolves for a reader of the package: shipped file, or the repository', () => {
  const REPO_FILE = 'https://github.com/cdk-spryker-pipeline/cdk-spryker-pipeline/blob/main/';
  const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  let checked = 0;
  for (const doc of docs) {
    const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const [file, anchor] = target.split('#');
      if (target.startsWith(REPO_FILE)) {
        checked++;
        if (!fs.existsSync(path.join(ROOT, target.slice(REPO_FILE.length)))) broken.push(`${doc}: ${target} (no such file in the repository)`);
        continue;
      }
      if (/^[a-z]+:/.test(target)) continue;
      checked++;
      const resolved = file ? path.posix.normalize(path.posix.join(path.posix.dirname(doc), file)) : doc;
      if (!packed.files.includes(resolved)) {
        broken.push(`${doc}: ${target} (${resolved} is not in the package: ship it, or link ${REPO_FILE}${resolved})`);
        continue;
      }
      const headings = [...fs.readFileSync(path.join(ROOT, resolved), 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]));
      if (anchor && !headings.includes(anchor)) broken.push(`${doc}: ${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  expect(broken).toEqual([]);
  expect(checked).toBeGreaterThan(5);
});

describe('a consumer app with the locked aws-cdk-lib', () => {
  let appDir: string;
  let compiled: Run;
  let template: Record<string, any>;

  beforeAll(() => {
    appDir = path.join(work, 'shop-a');
    createApp(appDir, packed.tarball, installedVersion('aws-cdk-lib'), { 'bin/app.ts': readmeApp() });
    compiled = compile(appDir);
    template = synth(appDir, STACK);
  }, 900_000);

  test('node_modules holds the package, aws-cdk-lib, constructs and their dependencies only: no esbuild, no tsx', () => {
    const installed = fs.readdirSync(path.join(appDir, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed).toEqual(expect.arrayContaining(['cdk-spryker-pipeline', 'aws-cdk-lib', 'constructs', 'yaml']));
    expect(installed.filter((n) => ['esbuild', '@esbuild', 'tsx', 'typescript', 'ts-node'].includes(n))).toEqual([]);
  });

  test("tsc with skipLibCheck: false compiles the README's app over the package's .d.ts", () => {
    expect(diagnostics(compiled)).toBe('');
  });

  test('cdk synth of the README app: SCCOS stages; the functions are the shipped bundles, Node.js 24', () => {
    expect(stagesOf(template, 'production-deploy')).toEqual(expect.arrayContaining(['Source', 'Please_approve', 'Run_install', 'Smoke_test', 'Deploy_Spryker_services']));
    expect(stagesOf(template, 'staging-destructive')).toContain('Announce_downtime');
    expect(runtimesOf(template)).toEqual(['nodejs24.x']);
    const out = path.join(appDir, 'cdk.out');
    const assets = fs.readdirSync(out).filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(out, d, 'index.js')));
    const shipped = new Set(HANDLERS.map((h) => fs.readFileSync(path.join(work, 'checkout', 'dist', 'handlers', h, 'index.js'), 'utf8')));
    // The README app's ten step handlers (Release_diff, Report and, with its broker, Sync_catch_up among them), byte for byte the shipped bundles (aws-cdk-lib adds its own handlers beside them).
    expect(assets.filter((a) => shipped.has(fs.readFileSync(path.join(out, a, 'index.js'), 'utf8'))).length).toBe(10);
  });

  test('the template is the same when the app folder moves (asset hashes unmasked), and its snapshot holds', () => {
    const moved = path.join(work, 'elsewhere', 'shop-b');
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.renameSync(appDir, moved);
    appDir = moved;
    fs.rmSync(path.join(moved, 'cdk.out'), { recursive: true, force: true });
    const again = synth(moved, STACK);
    expect(again).toEqual(template);
    expect(template).toMatchSnapshot();
  });

  test('the CLI works from the tarball: --version, rules, validate; an unknown command says so (exit 2)', () => {
    const cli = path.join(appDir, 'node_modules', '.bin', 'cdk-spryker-pipeline');
    expect(run(cli, ['--version'], appDir).stdout.trim()).toBe(pkg.version);
    const unknown = run(cli, ['valdate', 'deploy.yml'], appDir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^cdk-spryker-pipeline: unknown command 'valdate'\nusage: /);
    expect(run(cli, ['rules'], appDir).stdout).toMatch(/^SDF\d{3} /m);
    const file = path.join(appDir, 'deploy.shop-production.yml');
    fs.copyFileSync(path.join(ROOT, 'bin', 'deploy.demo-production.yml'), file);
    const validated = run(cli, ['validate', file], appDir);
    expect({ status: validated.status, stderr: validated.stderr }).toEqual({ status: 0, stderr: '' });
    expect(validated.stdout).toMatch(/0 critical/);
    const noEnvironment = run(cli, ['validate', path.join(ROOT, 'test/fixtures/deploy-files/broken/SDF105/deploy_shop_staging.yml')], appDir);
    expect(noEnvironment.stdout).toMatch(/^SDF106 critical: .*--environment <env>/m);
    // The rehearsal needs nothing beside the package: no AWS SDK in node_modules, no account.
    const rehearsal = run(cli, ['rehearse', '--services', '2', '--json', '--out', path.join(appDir, 'rehearsal')], appDir);
    expect(rehearsal.status).toBe(0);
    expect(JSON.parse(rehearsal.stdout).stages.map((s: { outcome: string }) => s.outcome)).toEqual(Array(12).fill('Succeeded'));
    expect(fs.existsSync(path.join(appDir, 'rehearsal', 'report.html'))).toBe(true);
  });

  test('a reader that closes the pipe early (`| head`) is not a crash', async () => {
    const cli = path.join(appDir, 'node_modules', 'cdk-spryker-pipeline', 'dist', 'bin', 'cli.js');
    const child = spawn(process.execPath, [cli, 'rules'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('the peer range of aws-cdk-lib holds at both ends', () => {
  const oldest = /^\^(\d+\.\d+\.\d+)$/.exec(pkg.peerDependencies['aws-cdk-lib'])?.[1];

  test('the peer range is ^<oldest>', () => {
    expect(oldest).toBeDefined();
  });

  const versions: [string, () => string][] = [
    ['the oldest the range allows', () => oldest!],
    ['the latest on the registry', () => latestAwsCdkLib()],
  ];
  test.each(versions)('with %s: tsc (skipLibCheck: false) and cdk synth', (_label, version) => {
    const v = version();
    // The locked version is the journey above: a second install would prove nothing new.
    if (v === installedVersion('aws-cdk-lib')) return;
    const dir = path.join(work, `shop-cdk-${v}`);
    createApp(dir, packed.tarball, v, { 'bin/app.ts': readmeApp() });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')).version).toBe(v);
    expect(diagnostics(compile(dir))).toBe('');
    const template = synth(dir, STACK);
    expect(stagesOf(template, 'production-deploy')).toEqual(expect.arrayContaining(['Please_approve', 'Run_install', 'Deploy_Spryker_services']));
    expect(runtimesOf(template)).toEqual(['nodejs24.x']);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 900_000);
});
