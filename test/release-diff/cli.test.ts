import { spawnSync } from 'child_process';
import * as path from 'path';
import { makeShopRepo, type ShopRepo } from './shop-repo';

const ROOT = path.join(__dirname, '..', '..');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bin/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let repo: ShopRepo;
beforeAll(() => {
  repo = makeShopRepo();
});
afterAll(() => repo.remove());

describe('cdk-spryker-pipeline release-diff', () => {
  test('--json prints exactly the documented keys, with revisions resolved to hashes', () => {
    const r = cli('release-diff', '--repo', repo.dir, '--from', 'main~6', '--to', 'main', '--json');
    expect(r).toMatchObject({ status: 0, stderr: '' });
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['from', 'to', 'commits', 'groups', 'schemaRisk', 'breaking']);
    expect(Object.keys(out.groups)).toEqual(['schema', 'deployFile', 'recipes', 'scheduler', 'composer', 'frontend']);
    expect(out).toMatchObject({ from: repo.commits.base, to: repo.commits.composerMajor, schemaRisk: 'breaking' });
    expect(out.commits).toHaveLength(6);
    expect(out.breaking).toEqual([
      { table: 'spy_foo', column: 'name', change: 'column removed (or renamed: the release adds description)' },
      { table: 'spy_bar', change: 'table removed (or renamed: the release adds spy_baz)' },
    ]);
  });

  test('text output: the summary and each breaking change', () => {
    const r = cli('release-diff', '--repo', repo.dir, '--from', repo.commits.addColumn, '--to', repo.commits.dropColumn);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['Schema BREAKING: spy_foo.name column removed · 1 commit(s) · other files: 0', 'breaking: spy_foo.name: column removed']);
  });

  test('usage errors exit 2 naming the missing option; an unknown revision exits 1 naming it', () => {
    expect(cli('release-diff', '--repo', repo.dir, '--to', 'main')).toMatchObject({ status: 2, stderr: expect.stringContaining('missing --from') });
    expect(cli('release-diff', '--repo', repo.dir, '--from', 'nope', '--to', 'main')).toMatchObject({ status: 1, stderr: expect.stringContaining("'nope' is not a commit") });
  });
});
