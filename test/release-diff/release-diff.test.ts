import { execFileSync } from 'child_process';
import { readZip } from '../../lambda/runtime/artifacts';
import { archiveFacts, computeRelease, gitFacts, rollbackGuard, summarize, SUMMARY_LIMIT, type ReleaseDiff } from '../../lib/release-diff';
import { makeShopRepo, type ShopRepo, type Step } from './shop-repo';

let repo: ShopRepo;
beforeAll(() => {
  repo = makeShopRepo();
});
afterAll(() => repo.remove());

function diff(from: Step, to: Step): ReleaseDiff {
  const facts = gitFacts(repo.dir, repo.commits[from], repo.commits[to]);
  return computeRelease({ ...facts, fromVersion: facts.fromHash, toVersion: facts.toHash, history: true });
}

const paths = (changes: { path: string }[]) => changes.map((c) => c.path);

describe('release diff from git history', () => {
  test('an added nullable column is additive, names the column, and lists the commit', () => {
    const d = diff('base', 'addColumn');
    expect(d).toMatchObject({ direction: 'forward', schemaRisk: 'additive', breaking: [] });
    expect(d.additive).toEqual([{ table: 'spy_foo', column: 'description', change: 'column added (LONGVARCHAR, nullable)' }]);
    expect(d.commits).toEqual([{ hash: repo.commits.addColumn, author: 'Ada Release <ada@example.com>', date: '2026-11-01T10:02:00+00:00', subject: 'Foo: add a nullable description' }]);
    expect(paths(d.groups.schema)).toEqual(['src/Pyz/Zed/Foo/Persistence/Propel/Schema/spy_foo.schema.xml']);
    expect(d.other).toEqual([]);
  });

  test('a dropped column is breaking, naming table and column', () => {
    const d = diff('addColumn', 'dropColumn');
    expect(d.schemaRisk).toBe('breaking');
    expect(d.breaking).toEqual([{ table: 'spy_foo', column: 'name', change: 'column removed' }]);
  });

  test('a renamed table shows as removed + added, and is breaking', () => {
    const d = diff('dropColumn', 'renameTable');
    expect(d.schemaRisk).toBe('breaking');
    expect(d.breaking).toEqual([{ table: 'spy_bar', change: 'table removed (or renamed: the release adds spy_baz)' }]);
    expect(d.additive).toEqual([{ table: 'spy_baz', change: 'table added' }]);
  });

  test('a PHP-only change has no schema risk and touches no group', () => {
    const d = diff('renameTable', 'phpOnly');
    expect(d).toMatchObject({ schemaRisk: 'none', breaking: [], broker: [] });
    expect(Object.values(d.groups).every((g) => g.length === 0)).toBe(true);
    expect(d.other).toEqual([{ path: 'src/Pyz/Zed/Foo/Business/FooFacade.php', status: 'modified' }]);
    expect(summarize(d)).toBe('Schema: no change · 1 commit(s) · other files: 1');
  });

  test('a deploy file change names the sections, the hook and the broker namespace of the store', () => {
    const d = diff('phpOnly', 'deployFile');
    expect(d.groups.deployFile).toEqual([{ path: 'deploy.yml', status: 'modified', sections: ['image', 'regions'], hooks: ['SPRYKER_HOOK_INSTALL'] }]);
    expect(d.broker).toEqual([{ path: 'deploy.yml', section: 'regions.EU.stores.DE.services.broker' }]);
    expect(d.schemaRisk).toBe('none');
  });

  test('composer.lock: changed packages, a Spryker major bump called out, a minor one not', () => {
    const d = diff('deployFile', 'composerMajor');
    expect(d.groups.composer).toEqual([
      { name: 'spryker-shop/cart-page', from: '3.40.1', to: '3.41.0', sprykerMajor: false },
      { name: 'spryker/new-module', to: '1.0.0', sprykerMajor: false },
      { name: 'spryker/product', from: '5.12.0', to: '6.0.0', sprykerMajor: true },
    ]);
    expect(summarize(d)).toContain('MAJOR: spryker/product 5.12.0→6.0.0');
  });

  test('the whole release: every commit, every group, breaking wins over additive', () => {
    const d = diff('base', 'composerMajor');
    expect(d.commits.map((c) => c.subject)).toEqual([
      'Update spryker/product to 6',
      'Deploy file: install hook and DE queue',
      'Foo: faster facade',
      'Rename spy_bar to spy_baz',
      'Foo: drop name',
      'Foo: add a nullable description',
    ]);
    expect(d.schemaRisk).toBe('breaking');
    expect(d.breaking.map((c) => [c.table, c.column])).toEqual([
      ['spy_foo', 'name'],
      ['spy_bar', undefined],
    ]);
    const s = summarize(d);
    expect(s.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(s).toMatch(/^Schema BREAKING: spy_foo\.name column removed, spy_bar table removed · 6 commit\(s\) · deploy file: image, regions, SPRYKER_HOOK_INSTALL · RabbitMQ: regions\.EU\.stores\.DE\.services\.broker · composer: 3 package\(s\), MAJOR: spryker\/product/);
  });

  test('an unknown revision fails, naming it', () => {
    expect(() => gitFacts(repo.dir, repo.commits.base, 'no-such-branch')).toThrow(`'no-such-branch' is not a commit in ${repo.dir}`);
  });
});

describe('rollback guard', () => {
  test('a rollback across a breaking change is refused without confirmation, naming what the older code meets', () => {
    const d = diff('renameTable', 'addColumn');
    expect(d.direction).toBe('rollback');
    // The commits undone, newest first.
    expect(d.commits.map((c) => c.subject)).toEqual(['Rename spy_bar to spy_baz', 'Foo: drop name']);
    // The older code has spy_foo.name (NOT NULL) and spy_bar; the database (newer) has neither, and spy_baz instead.
    expect(d.breaking).toEqual([
      { table: 'spy_foo', column: 'name', change: 'column added NOT NULL without default' },
      { table: 'spy_baz', change: 'table removed (or renamed: the release adds spy_bar)' },
    ]);
    const refused = rollbackGuard(d, undefined, '/production/confirm_rollback');
    expect(refused.allowed).toBe(false);
    expect(refused.message).toContain('database migrations are not undone');
    expect(refused.message).toContain('spy_baz: table removed');
    expect(refused.message).toContain(`aws ssm put-parameter --name /production/confirm_rollback --type String --overwrite --value ${repo.commits.addColumn}`);
    expect(rollbackGuard(d, repo.commits.base, '/production/confirm_rollback')).toMatchObject({ allowed: false, message: expect.stringContaining(`is '${repo.commits.base}', another version`) });
    expect(rollbackGuard(d, ` ${repo.commits.addColumn.toUpperCase()}\n`, '/production/confirm_rollback')).toMatchObject({
      allowed: true,
      message: expect.stringContaining('confirmed by /production/confirm_rollback'),
    });
    expect(summarize(d)).toMatch(/^ROLLBACK to [0-9a-f]{12}: migrations are not undone · Schema BREAKING: spy_foo\.name column added NOT NULL without default, spy_baz table removed/);
  });

  test('a rollback without breaking change passes, and still says migrations are not undone', () => {
    const d = diff('composerMajor', 'phpOnly');
    expect(d).toMatchObject({ direction: 'rollback', schemaRisk: 'none' });
    expect(rollbackGuard(d, undefined, '/p')).toEqual({ allowed: true, message: expect.stringContaining('migrations are not undone') });
  });

  test('a forward release is never held', () => {
    expect(rollbackGuard(diff('addColumn', 'dropColumn'), undefined, '/p')).toEqual({ allowed: true });
  });
});

describe('release diff from two source archives (S3 source)', () => {
  test('git archive zips of two versions give the same groups and risk, without commits', () => {
    const zip = (step: Step) => readZip(execFileSync('git', ['archive', '--format=zip', repo.commits[step]], { cwd: repo.dir }));
    const d = computeRelease({ ...archiveFacts(zip('base'), zip('composerMajor'), 'forward'), fromVersion: 'a', toVersion: 'b', history: false });
    const g = diff('base', 'composerMajor');
    expect(d.commits).toEqual([]);
    expect(d.groups).toEqual(g.groups);
    expect(d).toMatchObject({ schemaRisk: 'breaking', breaking: g.breaking, broker: g.broker, other: g.other });
    expect(summarize(d)).not.toContain('commit');
  });
});
