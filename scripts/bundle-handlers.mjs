#!/usr/bin/env node
/**
 * Bundles every step handler (lambda/<step>.ts) into dist/handlers/<step>/index.js, once, when the
 * package is built (`npm run build`, `prepare`, `npm test`): the package ships the bundles and
 * lib/step-handler.ts loads them with Code.fromAsset, so a consumer needs neither esbuild nor
 * Docker, and an asset hash depends only on the bundle, the same on every machine.
 *
 * Deterministic: one esbuild version (the lockfile's), paths relative to the repository, no
 * source maps, no metafile beside the bundle (Code.fromAsset hashes the whole folder).
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HANDLERS_DIR = path.join(ROOT, 'dist', 'handlers');

/** The Node.js 24 Lambda runtime ships AWS SDK v3: everything else (Powertools, yaml, zod) is bundled in. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  external: ['@aws-sdk/*'],
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  absWorkingDir: ROOT,
  logLevel: 'warning',
};

/** lambda/<step>.ts: one file per handler (the folders below lambda/ are what they share). */
export function handlerNames() {
  return fs
    .readdirSync(path.join(ROOT, 'lambda'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

/** The rehearsal's bundle (sim/cli.ts): the simulator with the AWS SDK it gives the handlers, for the Node.js the CLI runs on. */
export const SIM_BUNDLE = path.join(ROOT, 'dist', 'sim', 'rehearse.js');

export async function bundleHandlers() {
  const names = handlerNames();
  // Rebuilt from scratch: a removed handler must not linger in the package.
  fs.rmSync(HANDLERS_DIR, { recursive: true, force: true });
  await esbuild.build({
    ...BUNDLE_OPTIONS,
    entryPoints: Object.fromEntries(names.map((n) => [`${n}/index`, path.join('lambda', `${n}.ts`)])),
    outdir: HANDLERS_DIR,
  });
  return names;
}

/** Built with the package (`npm run bundle`), not before every jest run: only the rehearsal's tests need it, and they build it. */
export async function bundleSim() {
  await esbuild.build({ ...BUNDLE_OPTIONS, target: 'node20', external: [], entryPoints: [path.join('sim', 'cli.ts')], outfile: SIM_BUNDLE });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const start = Date.now();
  const names = await bundleHandlers();
  await bundleSim();
  if (!process.argv.includes('--quiet')) {
    console.log(`bundled ${names.length} step handlers into ${path.relative(ROOT, HANDLERS_DIR)}/ and the rehearsal into ${path.relative(ROOT, SIM_BUNDLE)} in ${Date.now() - start} ms`);
  }
}
