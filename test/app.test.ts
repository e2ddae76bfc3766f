import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ServerlessChecks } from 'cdk-nag';
import * as nag2 from 'cdk-nag2';
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
  // The package's pre-built handler bundles and real cdk-nag 3 AwsSolutions and ServerlessChecks.
  const { app, stack } = buildDemoApp();
  Validations.of(app).addPlugins(new ServerlessChecks(app));

  test('cdk-nag 3 AwsSolutions and ServerlessChecks: no unacknowledged finding, and every acknowledgement has a reason', () => {
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

  test("cdk-nag 2 (classic Aspects, AwsSolutions and ServerlessChecks): 0 findings, the library's acknowledgements are seen", () => {
    const { app: app2, stack: stack2 } = buildDemoApp({ nag: false });
    Aspects.of(app2).add(new nag2.AwsSolutionsChecks({ reports: false }));
    Aspects.of(app2).add(new nag2.ServerlessChecks({ reports: false }));
    const artifact = app2.synth().getStackByName(stack2.stackName);
    const findings = artifact.messages
      .filter((m) => m.level === 'error' || m.level === 'warning')
      .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`)
      .filter((m) => /(AwsSolutions|Serverless)-/.test(m));
    expect(findings).toEqual([]);
    // The suppressions are in the template, where cdk-nag 2 reads them: one reason per finding id.
    const suppressed = Object.values<any>(artifact.template.Resources).flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(suppressed.length).toBeGreaterThan(100);
    expect(suppressed.filter((r: any) => typeof r.reason !== 'string' || r.reason.length < 30)).toEqual([]);
  }, 120_000);

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
