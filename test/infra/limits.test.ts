import { Template } from 'aws-cdk-lib/assertions';
import { buildDemoApp } from '../../bin/demo';
import { roleSizes, WorstCase } from './worst-case';

/** IAM and STS quotas (IAM User Guide, "IAM and AWS STS quotas"): characters, whitespace not counted. */
const IAM = {
  /** Role policy size: all of a role's inline policies together. */
  inline: 10_240,
  /** Managed policy size. */
  managed: 6_144,
  /** Managed policies per role, by default (adjustable to 20). */
  attached: 10,
  /** Role trust policy length, by default (adjustable to 4,096). */
  trust: 2_048,
} as const;

/**
 * The longest application names a shop of that size can have: the deployment model names each one
 * four times (app, service, container and its image key), and it must fit SSM's advanced tier (8 KB).
 * The four of the deploy file keep their names.
 */
const LONGEST_NAME: Record<number, number> = { 4: 0, 50: 25 };
const longName = (length: number) => (i: number) => `app${i}-`.padEnd(length, 'x');

describe.each([4, 50])('deploy-time limits for a shop of %i application services', (services) => {
  const nameLength = LONGEST_NAME[services];
  const { stack } = buildDemoApp({ services, nag: false, ...(nameLength && { applicationName: longName(nameLength) }) });
  const template = Template.fromStack(stack);
  const json = template.toJSON();
  const worst = new WorstCase(json);

  test('every action configuration value, UserParameters included, is at most 1000 characters', () => {
    const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0];
    let checked = 0;
    const tooLong: string[] = [];
    for (const stage of pipeline.Properties.Stages) {
      for (const action of stage.Actions) {
        for (const [key, value] of Object.entries(action.Configuration ?? {})) {
          const resolved = worst.text(value);
          if (resolved.length > 1000) tooLong.push(`${stage.Name}/${action.Name} ${key}: ${resolved.length} characters`);
          checked++;
        }
      }
    }
    expect(tooLong).toEqual([]);
    expect(checked).toBeGreaterThan(15);
  });

  test('the deployment model fits its SSM parameter tier (and, at 50, names one character longer would not)', () => {
    const model = Object.values(template.findResources('AWS::SSM::Parameter')).find((p) => p.Properties.Name === '/production/pipeline/model')!;
    const size = Buffer.byteLength(worst.text(model.Properties.Value));
    const limit = model.Properties.Tier === 'Advanced' ? 8192 : 4096;
    expect(size).toBeLessThanOrEqual(limit);
    expect(JSON.parse(model.Properties.Value).services).toHaveLength(services + 1); // and the frontend, on by default from the deploy file
    if (nameLength) expect(size + 4 * (services - 4)).toBeGreaterThan(8192);
  });

  test('Lambda environments stay within 4 KB', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const vars = fn.Properties.Environment?.Variables ?? {};
      const size = Object.entries(vars).reduce((n, [k, v]) => n + k.length + worst.text(v).length, 0);
      expect(size).toBeLessThan(4096);
    }
  });

  test("every role stays within IAM's quotas: inline policies together, each managed policy, managed policies attached, trust policy", () => {
    const sizes = roleSizes(json);
    const over = Object.entries(sizes).flatMap(([role, r]) => [
      ...(r.inline > IAM.inline ? [`${role}: inline policies ${r.inline} > ${IAM.inline}`] : []),
      ...r.managed.filter((m) => m > IAM.managed).map((m) => `${role}: a managed policy of ${m} > ${IAM.managed}`),
      ...(r.attached > IAM.attached ? [`${role}: ${r.attached} managed policies > ${IAM.attached}`] : []),
      ...(r.trust > IAM.trust ? [`${role}: trust policy ${r.trust} > ${IAM.trust}`] : []),
    ]);
    expect(over).toEqual([]);
    // Every role of the app is measured: step handlers, pipelines and their action roles, CodeBuild, the cutover's, custom resources.
    expect(Object.keys(sizes).length).toBeGreaterThan(60);
    for (const kind of ['PreDeploymentConfigurationRole', 'DeployRole', 'RunHookRole', 'CutoverHookRole', 'CutoverEcsInvokesHook', 'BuildAndPrepareProjectRole', 'PipelineRole', 'CodePipelineActionRole', 'AWS679f53fac002430cb0da5b7982bd2287ServiceRole']) {
      expect(Object.keys(sizes).some((id) => id.includes(kind))).toBe(true);
    }
    // The measure is real: at 50 services the per-service grants fill several managed policies.
    const deploy = Object.entries(sizes).find(([id]) => id.startsWith('PipelineDeploymentDeployRole'))![1];
    if (services === 50) expect(deploy.managed.length).toBeGreaterThan(3);
    expect(Math.max(...deploy.managed)).toBeGreaterThan(services === 50 ? 5_000 : 1_000);
  });

  test("Release_diff's role names every image's repository", () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p) => p.Properties.Roles?.some((r: { Ref: string }) => /ReleaseDiffRole/.test(r.Ref)));
    expect(JSON.stringify(policies)).toContain(`repository/production-${services > 4 ? 'app49' : 'zed'}`);
  });

  test('the template stays within 500 resources and 1 MB', () => {
    expect(Object.keys(json.Resources).length).toBeLessThan(500);
    expect(Buffer.byteLength(JSON.stringify(json))).toBeLessThan(1024 * 1024);
  });
});

describe('the worst case of a reference', () => {
  const worst = new WorstCase({
    Resources: {
      Repo: { Type: 'AWS::ECR::Repository', Properties: { RepositoryName: 'production-zed' } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    },
  });

  test("a name the template sets, in its type's ARN shape, at the longest partition, region and account", () => {
    expect(worst.text({ 'Fn::GetAtt': ['Repo', 'Arn'] })).toBe('arn:aws-iso-b:ecr:ap-southeast-5x:123456789012:repository/production-zed');
  });

  test("a generated name at the type's limit (Lambda: 64 characters)", () => {
    expect(worst.text({ Ref: 'Fn' })).toHaveLength(64);
    expect(worst.text({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x']] })).toBe('arn:aws-iso-b:x');
  });

  test('a reference it has no rule for is an error, not a guess', () => {
    expect(() => worst.text({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toThrow(/no rule for references to AWS::SQS::Queue/);
    expect(() => worst.text({ 'Fn::GetAtt': ['Repo', 'RepositoryUri'] })).toThrow(/no rule for AWS::ECR::Repository.RepositoryUri/);
  });

  test('IAM counts a policy without its whitespace', () => {
    expect(worst.policySize({ Statement: [{ Effect: 'Allow', Action: 'a b', Resource: '*' }] })).toBe(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'ab', Resource: '*' }] }).length);
  });
});
