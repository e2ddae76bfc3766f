/** Runs scripts/build-images.sh for real with the fake `aws` and `docker` of test/build/fake-bin on PATH. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'build-images.sh');
export const FAKE_BIN = path.join(__dirname, 'fake-bin');

export interface BuildFolders {
  /** HOME of the run. */
  readonly dir: string;
  /** The checkout the script runs in; images.json is written here. */
  readonly work: string;
  /** The fake ECR: `<registry>/<repository>/<tag>` holds a digest. */
  readonly registry: string;
  /** Where the fakes record each call, one per line. */
  readonly calls: string;
}

/** The script's exit status and stderr, the calls the fakes recorded, and images.json if written. */
export function runBuildScript(folders: BuildFolders, env: Record<string, string>) {
  const result = spawnSync('bash', [SCRIPT], {
    cwd: folders.work,
    encoding: 'utf8',
    env: { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: folders.dir, FAKE_CALLS: folders.calls, FAKE_REGISTRY: folders.registry, ...env },
  });
  const manifest = path.join(folders.work, 'images.json');
  return {
    status: result.status,
    stderr: result.stderr,
    calls: fs.readFileSync(folders.calls, 'utf8').trim().split('\n').filter(Boolean),
    manifest: fs.existsSync(manifest) ? (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { v: number; version: string; images: Record<string, string> }) : undefined,
  };
}
