import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildDemoApp } from '../bin/demo';

const ROOT = path.join(__dirname, '..');

/** The findings in the validation report cdk writes when a plugin (cdk-nag) reports a violation. */
function reportedFindings(message: string): string[] {
  const file = /found in: (\S+validation-report\.json)/.exec(message)?.[1];
  if (!file || !fs.existsSync(file)) return [message];
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  return (report.pluginReports ?? []).flatMap((p: any) =>
    (p.violations ?? []).flatMap((v: any) =>
      (v.violatingResources ?? v.violatingConstructs ?? []).map((r: any) => `${v.ruleName}: ${r.constructPath ?? r.resourceLogicalId}`),
    ),
  );
}

describe('the example app', () => {
  // The package's pre-built handler bundles and real cdk-nag AwsSolutions checks.
  const { app, stack } = buildDemoApp();

  test('cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgement has a reason', () => {
    let findings: string[] = [];
    try {
      app.synth();
    } catch (err) {
      findings = reportedFindings((err as Error).message);
    }
    expect(findings).toEqual([]);
    // Metadata: { [rule id]: reason } per acknowledging construct.
    const acks = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(10);
    const unexplained = acks.filter(([, reason]) => typeof reason !== 'string' || reason.length < 30);
    expect(unexplained).toEqual([]);
  });

  test('snapshot of the stack (asset hashes unmasked: the bundles are built once, the same everywhere)', () => {
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  test("the README's main command, `npx cdk synth`, works without AWS credentials", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-out-'));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr.slice(-3000) }).toEqual({ status: 0, stderr: '' });
    const template = JSON.parse(fs.readFileSync(path.join(out, 'SprykerDemoPipeline.template.json'), 'utf8'));
    const pipeline = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline');
    expect(pipeline.Properties.Stages.map((s: any) => s.Name)).toContain('Deploy_Spryker_services');
    fs.rmSync(out, { recursive: true, force: true });
  }, 300_000);
});
