import * as fs from 'fs';
import * as path from 'path';
import { preflight, readDeployFile } from '../../lib/config/deploy-file';
import { PREFLIGHT_RULES } from '../../lib/config/preflight';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'deploy-files');
const BROKEN = path.join(FIXTURES, 'broken');

/** Each broken/<CODE>/ holds one deploy file. */
function brokenFile(code: string): string {
  const dir = path.join(BROKEN, code);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.yml'));
  if (!file) throw new Error(`no deploy file in ${dir}`);
  return path.join(dir, file);
}

const codesOf = (file: string, options: { environment?: string } = {}) => [...new Set(preflight(readDeployFile(file), options).map((f) => f.code))].sort();

/** Findings that follow from the broken part, besides its own code. */
const CASCADES: Record<string, string[]> = {
  SDF106: ['SDF105', 'SDF106'], // deploy.yml breaks the name and so gives no environment
  SDF402: ['SDF402', 'SDF407'], // the second yves joins the first one's ECS service
  SDF404: ['SDF404', 'SDF409'], // the untyped application was the only Zed application
};

describe('preflight over broken deploy files', () => {
  const codes = fs.readdirSync(BROKEN).sort();

  test.each(codes)('%s reports exactly its code', (code) => {
    // SDF105's file has no environment in its name: give one, so only the naming is reported.
    const options = code === 'SDF105' ? { environment: 'staging' } : {};
    expect(codesOf(brokenFile(code), options)).toEqual(CASCADES[code] ?? [code]);
  });

  test('every rule has a broken fixture or a props test', () => {
    const propsOnly = ['SDF204', 'SDF306', 'SDF308', 'SDF408']; // covered in deploy-file.test.ts
    expect(PREFLIGHT_RULES.map((r) => r.code).sort()).toEqual([...codes, ...propsOnly].sort());
  });

  test('the minimal file the variants start from is clean', () => {
    expect(preflight(readDeployFile(path.join(FIXTURES, 'deploy.shop-staging.yml')))).toEqual([]);
  });

  test('a YAML error is reported with line and column, and nothing else is checked', () => {
    const findings = preflight(readDeployFile(brokenFile('SDF101')));
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'SDF101',
        severity: 'critical',
        message: 'Missing closing "quote',
        location: { file: expect.stringMatching(/broken\/SDF101\/deploy\.shop-staging\.yml$/), line: 3, col: 17 },
      }),
    ]);
  });

  test('a key listed twice names the key and points at the second one', () => {
    const [finding] = preflight(readDeployFile(brokenFile('SDF102')));
    expect(finding.message).toBe("key 'yves' appears twice in one map");
    expect(finding.location).toMatchObject({ line: 32, col: 13 });
  });

  test('findings point at the key in the file', () => {
    const [finding] = preflight(readDeployFile(brokenFile('SDF302')));
    expect(finding).toMatchObject({
      path: 'regions.EU.stores.AT.services.broker.namespace',
      location: { line: 20, col: 36 },
      message: "vhost 'de_queue' is also the namespace of regions.EU.stores.DE.services.broker.namespace",
    });
  });

  test('a missing import and an import cycle are refused with the chain', () => {
    expect(preflight(readDeployFile(brokenFile('SDF103')))[0].message).toMatch(/import 'base' of .*: 'deploy\.missing\.template\.yml' is on no template layer/);
    expect(preflight(readDeployFile(brokenFile('SDF104')))[0].message).toMatch(/loop\.deploy\.template\.yml imports .*loop\.deploy\.template\.yml: a deploy file imports itself/);
  });

  test('a destructive recipe in a normal hook is critical only on production', () => {
    const file = brokenFile('SDF203');
    expect(codesOf(file)).toEqual(['SDF203']);
    expect(codesOf(file, { environment: 'staging' })).toEqual([]);
  });

  test('messages never carry the password written in the file', () => {
    const findings = preflight(readDeployFile(path.join(FIXTURES, 'deploy.b2c-production.yml')));
    expect(findings.map((f) => f.code)).toEqual(['SDF305']);
    expect(JSON.stringify(findings)).not.toContain('b2c-file-password-7f3a');
  });
});
