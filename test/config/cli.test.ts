import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = 'test/fixtures/deploy-files';

/** The CLI as a pre-push hook runs it: a real process, its exit code and its output. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cdk-spryker-pipeline CLI', () => {
  test('validate: a clean file exits 0', () => {
    const r = cli('validate', `${FIXTURES}/deploy.marketplace-production.yml`);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(`${FIXTURES}/deploy.marketplace-production.yml: 0 critical, 0 warning(s): ok\n`);
  });

  test('validate: warnings are printed with their code and exit 0', () => {
    const r = cli('validate', `${FIXTURES}/deploy.b2c-production.yml`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^SDF305 warning services\.broker\.api\.password \(test\/fixtures\/deploy-files\/deploy\.b2c-production\.yml:102:23\): /);
    expect(r.stdout).not.toContain('b2c-file-password-7f3a');
  });

  test('validate: critical findings are printed with codes and exit 1', () => {
    const r = cli('validate', `${FIXTURES}/broken/SDF404/deploy.shop-staging.yml`);
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n').map((l) => /^\S+ \S+/.exec(l)?.[0].replace(/:$/, ''))).toEqual(['SDF404 critical', 'SDF409 critical', expect.stringContaining('deploy.shop-staging.yml'), undefined]);
    expect(r.stdout).toContain('2 critical, 0 warning(s): refused: fix the critical findings before deploying');
  });

  test('validate --environment fills in what the file name lacks; --json gives the findings', () => {
    const r = cli('validate', `${FIXTURES}/broken/SDF105/deploy_shop_staging.yml`, '--environment', 'staging', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.findings.map((f: { code: string }) => f.code)).toEqual(['SDF105']);
  });

  test('a YAML syntax error exits 1 with line and column', () => {
    const r = cli('validate', `${FIXTURES}/broken/SDF101/deploy.shop-staging.yml`);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('SDF101 critical (test/fixtures/deploy-files/broken/SDF101/deploy.shop-staging.yml:3:17): Missing closing "quote.');
  });

  test('usage errors exit 2; rules lists every code', () => {
    expect(cli('validate').status).toBe(2);
    expect(cli('validate', 'a.yml', '--nope').status).toBe(2);
    const rules = cli('rules');
    expect(rules.status).toBe(0);
    expect(rules.stdout).toMatch(/^SDF101 {2}critical {2}YAML syntax error/);
    expect(rules.stdout.trim().split('\n')).toHaveLength(41);
  });
});
