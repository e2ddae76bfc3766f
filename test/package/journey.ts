/**
 * The package as a user gets it: `npm pack` of a clean copy of the checkout (its `prepare` builds
 * there, as for a git dependency, and leaves this checkout's dist/ alone while other tests use
 * it), then apps in os.tmpdir() that install only the tarball, aws-cdk-lib and constructs and run
 * plain `tsc` and the real aws-cdk CLI (this repository's, like a globally installed one).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
/** Installs from the local npm cache when it can: a CI run downloads each version once. */
const NPM_FAST = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

function ok(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const r = run(command, args, cwd, env);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return r.stdout;
}

export function tmpDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export interface Packed {
  readonly tarball: string;
  /** The tarball's files, as `npm pack --json` lists them. */
  readonly files: string[];
}

/** `npm pack` of the checkout's files (tracked and new, not ignored) copied to `work`. */
export function packCleanCopy(work: string): Packed {
  const copy = path.join(work, 'checkout');
  const listed = ok('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT).split('\0').filter(Boolean);
  for (const file of listed) {
    const from = path.join(ROOT, file);
    if (file === 'node_modules' || !fs.existsSync(from) || fs.statSync(from).isDirectory()) continue;
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.copyFileSync(from, path.join(copy, file));
  }
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(copy, 'node_modules'));
  // `prepare` (the build) runs first and prints to the same stdout: the JSON is the last thing.
  const out = ok('npm', ['pack', '--json', '--pack-destination', work, ...NPM_FAST], copy);
  const [result] = JSON.parse(out.slice(out.search(/^\[$/m)));
  return { tarball: path.join(work, result.filename), files: result.files.map((f: { path: string }) => f.path) };
}

export function installedVersion(pkg: string): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

/** A CDK app of a B2B shop: only the tarball, aws-cdk-lib and constructs in its node_modules. */
export function createApp(dir: string, tarball: string, awsCdkLib: string, sources: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  const pkg = { name: 'shop-pipeline', version: '1.0.0', private: true, license: 'UNLICENSED' };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: 'node bin/app.js' }));
  // What `cdk init app --language typescript` sets, and no skipping of the packages' .d.ts.
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'commonjs',
      lib: ['ES2022', 'ESNext.Disposable'],
      strict: true,
      skipLibCheck: false,
      types: [],
    },
    include: ['bin/**/*.ts'],
  };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  for (const [file, text] of Object.entries(sources)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  ok('npm', ['install', ...NPM_FAST, tarball, `aws-cdk-lib@${awsCdkLib}`, `constructs@${installedVersion('constructs')}`], dir);
}

/** Plain `tsc` (this repository's TypeScript) over the app and every .d.ts it reaches. */
export function compile(dir: string): Run {
  return run(path.join(BIN, 'tsc'), ['-p', dir], dir);
}

/** `cdk synth` with the real aws-cdk CLI, without AWS credentials; the stack's template. */
export function synth(dir: string, stack: string): Record<string, any> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_') || k.startsWith('CDK_')) delete env[k];
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // No esbuild (or tsx) of this repository within reach: the app must not need one.
  env.PATH = (env.PATH ?? '').split(path.delimiter).filter((p) => !p.includes('node_modules')).join(path.delimiter);
  ok(path.join(BIN, 'cdk'), ['synth', '--quiet', '--no-notices', '--no-version-reporting', '--output', 'cdk.out'], dir, env);
  return JSON.parse(fs.readFileSync(path.join(dir, 'cdk.out', `${stack}.template.json`), 'utf8'));
}

/** The latest aws-cdk-lib on the registry. */
export function latestAwsCdkLib(): string {
  return execFileSync('npm', ['view', 'aws-cdk-lib@latest', 'version', '--loglevel=error'], { encoding: 'utf8' }).trim();
}
