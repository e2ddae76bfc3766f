import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHandler, type ReleaseDiffOutput } from '../../lambda/release-diff';
import type { ReleaseDiffParams } from '../../lib/contracts/params';
import { writeZip } from '../../lambda/runtime/artifacts';
import { factsScript } from '../../lib/release-diff';
import { FakeAws } from '../fakes/aws';
import { MODEL, setupShop, useFakeAws } from '../fakes/shop';
import { makeShopRepo, type ShopRepo, type Step } from './shop-repo';

let aws: FakeAws;
useFakeAws((started) => (aws = started));
/** The shop's images (zed, yves, glue, scheduler) have their repositories; no image of any version yet. */
const IMAGE_KEYS = ['zed', 'yves', 'glue', 'scheduler'];
beforeEach(() => {
  setupShop(aws);
  for (const key of IMAGE_KEYS) aws.ecr.createRepository(`production-${key}`);
});
let repo: ShopRepo;
beforeAll(() => {
  repo = makeShopRepo();
});
afterAll(() => repo.remove());

const SOURCE = { bucket: 'shop-source', key: 'source.zip' };
const REPORTS = 'release-reports';
const CONFIRM = '/production/confirm_rollback';
const params = (from: string, to: string, extra: Partial<ReleaseDiffParams> = {}): ReleaseDiffParams => ({
  environment: 'production',
  version: to,
  lastDeployedVersion: from,
  executionId: 'exec-1',
  reportBucket: REPORTS,
  confirmParameter: CONFIRM,
  model: MODEL,
  ...extra,
});
const run = (p: ReleaseDiffParams, inputs: { name: string; bucket: string; key: string }[] = []) => aws.runJob(createHandler(aws.deps()), { params: p, inputs });
const archive = (step: Step) => execFileSync('git', ['archive', '--format=zip', repo.commits[step]], { cwd: repo.dir });
const upload = (step: Step) => aws.versionedS3.put(SOURCE.bucket, SOURCE.key, archive(step), { commit: repo.commits[step] });
const report = (suffix: string) => aws.objects.get(`/${REPORTS}/production/exec-1/release-diff${suffix}`)?.toString('utf8');

describe('S3 source: the two archives, found by their commit metadata', () => {
  test('a forward release: schema risk, summary and report link as variables, the report per execution', async () => {
    upload('base');
    upload('phpOnly');
    upload('composerMajor');
    const { report: r } = await run(params(repo.commits.base, repo.commits.composerMajor, { sourceObject: SOURCE }));
    expect(r.kind).toBe('success');
    const out = r.body.outputVariables as ReleaseDiffOutput;
    expect(out).toMatchObject({ SCHEMA_RISK: 'breaking', DIRECTION: 'forward' });
    expect(out.SUMMARY).toMatch(/^Schema BREAKING: spy_foo\.name column removed, spy_bar table removed · images: build 4 \(zed, yves, glue, scheduler\), reuse 0 · deploy file: image, regions, SPRYKER_HOOK_INSTALL/);
    expect(out.SUMMARY.length).toBeLessThanOrEqual(500);
    expect(out.REPORT_URL).toBe(`https://eu-central-1.console.aws.amazon.com/s3/object/${REPORTS}?region=eu-central-1&prefix=production%2Fexec-1%2Frelease-diff.html`);
    const json = JSON.parse(report('.json')!);
    expect(json).toMatchObject({ v: 1, history: false, commits: [], schemaRisk: 'breaking', rollback: { allowed: true } });
    expect(json.groups.composer.find((c: { name: string }) => c.name === 'spryker/product')).toEqual({ name: 'spryker/product', from: '5.12.0', to: '6.0.0', sprykerMajor: true });
    expect(report('.html')).toContain('<h2>Breaking schema changes (2)</h2>');
    // Only the two archives were read, each by its version.
    expect(aws.calls('S3.GET').filter((c) => c.path === `/${SOURCE.bucket}/${SOURCE.key}`)).toHaveLength(2);
  });

  test('an archive that is not among the versions: the diff is unknown, the pipeline goes on and says why', async () => {
    upload('composerMajor');
    const { report: r } = await run(params(repo.commits.base, repo.commits.composerMajor, { sourceObject: SOURCE }));
    expect(r.kind).toBe('success');
    expect(r.body.outputVariables).toMatchObject({ SCHEMA_RISK: 'unknown', DIRECTION: 'unknown' });
    expect(r.body.outputVariables.SUMMARY).toBe(`Release diff unavailable: no source archive with commit metadata ${repo.commits.base} among the newest 100 versions of s3://shop-source/source.zip: the release diff needs both versions' archives`.slice(0, 500));
    expect(report('.html')).toContain('Release diff unavailable');
  });

  test('the deployed archive on the second page of versions is found; the search stops at both', async () => {
    upload('base');
    const php = archive('phpOnly');
    for (let i = 0; i < 60; i++) aws.versionedS3.put(SOURCE.bucket, SOURCE.key, php, { commit: repo.commits.phpOnly });
    upload('addColumn');
    const { report: r } = await run(params(repo.commits.base, repo.commits.addColumn, { sourceObject: SOURCE }));
    expect(r.body.outputVariables).toMatchObject({ SCHEMA_RISK: 'additive', DIRECTION: 'forward' });
    expect(aws.calls('S3.GET').filter((c) => c.path.replace(/\/$/, '') === `/${SOURCE.bucket}`)).toHaveLength(2); // two pages of 50
    expect(aws.calls('S3.HEAD')).toHaveLength(62);
  });

  test('the first deployment compares nothing and reads no archive', async () => {
    const { report: r } = await run(params('none', repo.commits.base, { sourceObject: SOURCE }));
    expect(r.body.outputVariables).toMatchObject({ SCHEMA_RISK: 'none', DIRECTION: 'first', SUMMARY: `First deployment of ${repo.commits.base.slice(0, 12)}: no deployed version to compare. · images: build 4 (zed, yves, glue, scheduler), reuse 0` });
    expect(aws.calls('S3.GET')).toEqual([]);
  });

  test('rollback guard: refused across a breaking change until /{env}/confirm_rollback names the target; the report is there either way', async () => {
    upload('addColumn');
    upload('renameTable');
    const p = params(repo.commits.renameTable, repo.commits.addColumn, { sourceObject: SOURCE });
    const refused = (await run(p)).report;
    expect(refused.kind).toBe('failure');
    expect(refused.body.failureDetails.message).toMatch(/^rollback from \w+ to \w+: database migrations are not undone, the older code meets the newer schema, and these changes break it/);
    expect(refused.body.failureDetails.message).toContain(`aws ssm put-parameter --name ${CONFIRM} --type String --overwrite --value ${repo.commits.addColumn}`);
    expect(refused.body.failureDetails.message).toContain('(report: https://');
    expect(JSON.parse(report('.json')!).rollback.allowed).toBe(false);

    aws.ssm.set(CONFIRM, repo.commits.addColumn);
    const confirmed = (await aws.runJob(createHandler(aws.deps()), { id: '22222222-2222-3333-4444-555555555555', params: p })).report;
    expect(confirmed.kind).toBe('success');
    expect(confirmed.body.outputVariables).toMatchObject({ DIRECTION: 'rollback', SCHEMA_RISK: 'breaking' });
    expect(confirmed.body.outputVariables.SUMMARY).toMatch(/^ROLLBACK to \w{12}: migrations are not undone/);
    expect(report('.html')).toContain('confirmed by /production/confirm_rollback');
  });
});

describe('git source: the facts artifact of Release_facts', () => {
  function factsArtifact(from: Step, to: Step) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'facts-'));
    execFileSync('bash', ['-c', factsScript()], { cwd: repo.dir, env: { ...process.env, FROM: repo.commits[from], TO: repo.commits[to], OUT: out } });
    const files: Record<string, Buffer> = {};
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else files[path.relative(out, full)] = fs.readFileSync(full);
      }
    };
    walk(out);
    fs.rmSync(out, { recursive: true, force: true });
    aws.objects.set('/pipeline-artifacts/exec-1/ReleaseFacts/facts.zip', writeZip(files));
    return [{ name: 'ReleaseFacts', bucket: 'pipeline-artifacts', key: 'exec-1/ReleaseFacts/facts.zip' }];
  }

  test('commits and groups from history; an additive release', async () => {
    const { report: r } = await run(params(repo.commits.base, repo.commits.addColumn), factsArtifact('base', 'addColumn'));
    expect(r.body.outputVariables).toMatchObject({ SCHEMA_RISK: 'additive', DIRECTION: 'forward', SUMMARY: 'Schema additive: spy_foo.description · images: build 4 (zed, yves, glue, scheduler), reuse 0 · 1 commit(s) · other files: 0' });
    expect(JSON.parse(report('.json')!).commits).toEqual([expect.objectContaining({ hash: repo.commits.addColumn, subject: 'Foo: add a nullable description' })]);
  });

  test("images: those tagged with the version in ECR are reused, the others built (another version's tag does not count)", async () => {
    const to = repo.commits.addColumn;
    aws.ecr.push('production-zed', to);
    aws.ecr.push('production-scheduler', to);
    aws.ecr.push('production-yves', repo.commits.base);
    const { report: r } = await run(params(repo.commits.base, to), factsArtifact('base', 'addColumn'));
    expect(r.kind).toBe('success');
    expect(r.body.outputVariables.SUMMARY).toBe('Schema additive: spy_foo.description · images: build 2 (yves, glue), reuse 2 · 1 commit(s) · other files: 0');
    expect(JSON.parse(report('.json')!).images).toEqual({ build: ['yves', 'glue'], reuse: ['zed', 'scheduler'] });
    const html = report('.html')!;
    expect(html).toContain('<h2>Images to build (no image of this version in ECR yet) (2)</h2>\n<ul>\n<li><code>yves</code></li>\n<li><code>glue</code></li>');
    expect(html).toContain('<h2>Images reused (already in ECR for this version) (2)</h2>\n<ul>\n<li><code>zed</code></li>\n<li><code>scheduler</code></li>');
    // One metadata read per image of the model, by the version's tag: no manifests pulled.
    expect(aws.calls('ECR.DescribeImages').map((c) => [c.repositoryName, c.imageIds]).sort()).toEqual(
      IMAGE_KEYS.map((k) => [`production-${k}`, [{ imageTag: to }]]).sort(),
    );
    expect(aws.calls('ECR.BatchGetImage')).toEqual([]);
  });

  test('a repository of a model image that does not exist: a configuration error naming it and the fix, before any report is written', async () => {
    aws.ecr.repositories.delete('production-glue');
    const { report: r } = await run(params(repo.commits.base, repo.commits.addColumn), factsArtifact('base', 'addColumn'));
    expect(r.body.failureDetails).toEqual({
      type: 'ConfigurationError',
      message:
        "ECR repository production-glue (image 'glue' of the deployment model /production/pipeline/model) does not exist, so Build_and_Prepare cannot push it: " +
        'deploy the pipeline stack (it creates the repositories), or create it when the repositories are imported',
    });
    expect(aws.calls('S3.PUT')).toEqual([]);
  });

  test('ECR refusing the read fails the step, naming the repository and the call', async () => {
    aws.fail('ECR.DescribeImages', 'AccessDeniedException', 'User is not authorized to perform: ecr:DescribeImages', 1, 400);
    const { report: r } = await run(params(repo.commits.base, repo.commits.addColumn), factsArtifact('base', 'addColumn'));
    expect(r.kind).toBe('failure');
    expect(r.body.failureDetails.message).toMatch(/^ECR DescribeImages production-\w+:[0-9a-f]{40} failed: .*not authorized to perform: ecr:DescribeImages/);
    expect(aws.calls('S3.PUT')).toEqual([]);
  });

  test('two deliveries of one job in flight at once: one result, one report, no contradiction', async () => {
    const inputs = factsArtifact('addColumn', 'dropColumn');
    const handler = createHandler(aws.deps());
    const event = aws.event({ params: params(repo.commits.addColumn, repo.commits.dropColumn), inputs });
    await Promise.all([handler(event, aws.context()), handler(event, aws.context())]);
    expect(aws.codepipeline.reports).toHaveLength(1);
    expect(aws.codepipeline.reports[0]).toMatchObject({ kind: 'success', body: { outputVariables: { SCHEMA_RISK: 'breaking' } } });
    // The delivery that lost the job's record writes nothing.
    expect(aws.calls('S3.PUT').map((c) => c.path).sort()).toEqual([`/${REPORTS}/production/exec-1/release-diff.html`, `/${REPORTS}/production/exec-1/release-diff.json`]);
  });

  test('a facts artifact without the facts fails, naming the artifact and what is missing', async () => {
    aws.objects.set('/pipeline-artifacts/x.zip', writeZip({ 'README.md': 'not facts' }));
    const { report: r } = await run(params(repo.commits.base, repo.commits.addColumn), [{ name: 'ReleaseFacts', bucket: 'pipeline-artifacts', key: 'x.zip' }]);
    expect(r.kind).toBe('failure');
    expect(r.body.failureDetails.message).toBe(
      "input artifact ReleaseFacts (s3://pipeline-artifacts/x.zip): release facts: 'direction' is undefined, expected forward, rollback, first or same (did the facts script run?)",
    );
  });

  test('bad UserParameters name every field', async () => {
    const { report: r } = await aws.runJob(createHandler(aws.deps()), { params: { environment: 'production' } });
    expect(r.body.failureDetails).toEqual({
      type: 'ConfigurationError',
      message: expect.stringMatching(/^release-diff: invalid UserParameters: version: required; lastDeployedVersion: required; executionId: required; reportBucket: required; confirmParameter: required; model: required \(/),
    });
  });
});
