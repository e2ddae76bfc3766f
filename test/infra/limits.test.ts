import { Template } from 'aws-cdk-lib/assertions';
import { buildDemoApp } from '../../bin/demo';

/**
 * CloudFormation resolves these only at deploy time, so we check them on the synthesized
 * template, substituting every reference with the longest value it can take.
 */
const LONGEST: Record<string, string> = {
  'AWS::Partition': 'aws-iso-b',
  'AWS::Region': 'ap-southeast-5x',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com.cn',
  'AWS::StackName': 'x'.repeat(128),
};

/** The deploy-time string of a template value, references at their worst-case length. */
function worstCase(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const v = value as Record<string, any>;
  if (v.Ref) return LONGEST[v.Ref] ?? 'r'.repeat(255);
  if (v['Fn::GetAtt']) return 'a'.repeat(2048 / 2); // an ARN attribute: generous
  if (v['Fn::Join']) return v['Fn::Join'][1].map(worstCase).join(v['Fn::Join'][0]);
  if (v['Fn::Sub']) return String(v['Fn::Sub']);
  return JSON.stringify(value);
}

/** A policy document with every intrinsic at its worst-case string (an attribute ARN at 256 characters: a resource ARN, not the 1024 of a free text). */
function resolved(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolved);
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::GetAtt']) return 'a'.repeat(256);
  if (v.Ref || v['Fn::Join'] || v['Fn::Sub']) return worstCase(value);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolved(x)]));
}

describe.each([4, 50])('deploy-time limits for a shop of %i application services', (services) => {
  const { stack } = buildDemoApp({ services, nag: false });
  const template = Template.fromStack(stack);
  const json = template.toJSON();

  test('every action configuration value, UserParameters included, is at most 1000 characters', () => {
    const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0];
    let checked = 0;
    const tooLong: string[] = [];
    for (const stage of pipeline.Properties.Stages) {
      for (const action of stage.Actions) {
        for (const [key, value] of Object.entries(action.Configuration ?? {})) {
          const resolved = worstCase(value);
          if (resolved.length > 1000) tooLong.push(`${stage.Name}/${action.Name} ${key}: ${resolved.length} characters`);
          checked++;
        }
      }
    }
    expect(tooLong).toEqual([]);
    expect(checked).toBeGreaterThan(15);
  });

  test('the deployment model fits its SSM parameter tier', () => {
    const model = Object.values(template.findResources('AWS::SSM::Parameter')).find((p) => p.Properties.Name === '/production/pipeline/model')!;
    const size = Buffer.byteLength(worstCase(model.Properties.Value));
    const limit = model.Properties.Tier === 'Advanced' ? 8192 : 4096;
    expect(size).toBeLessThanOrEqual(limit);
    expect(JSON.parse(model.Properties.Value).services).toHaveLength(services + 1); // and the frontend, on by default from the deploy file
  });

  test('Lambda environments stay within 4 KB', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const vars = fn.Properties.Environment?.Variables ?? {};
      const size = Object.entries(vars).reduce((n, [k, v]) => n + k.length + worstCase(v).length, 0);
      expect(size).toBeLessThan(4096);
    }
  });

  test("Release_diff's role stays within IAM's 10,240 characters of inline policy, naming every image's repository", () => {
    // IAM counts the non-whitespace characters of all of a role's inline policies together.
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => p.Properties.Roles?.some((r: { Ref: string }) => /ReleaseDiffRole/.test(r.Ref)));
    const documents = policies.map((p) => JSON.stringify(resolved(p.Properties.PolicyDocument)));
    expect(documents.join('').length).toBeLessThanOrEqual(10_240);
    expect(documents.join('')).toContain(`repository/production-${services > 4 ? 'app49' : 'zed'}`);
  });

  test('the template stays within 500 resources and 1 MB', () => {
    expect(Object.keys(json.Resources).length).toBeLessThan(500);
    expect(Buffer.byteLength(JSON.stringify(json))).toBeLessThan(1024 * 1024);
  });
});
