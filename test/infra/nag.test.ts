import { Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as nag2 from 'cdk-nag2';
import { StepHandler } from '../../lib';
import { testApp } from './helpers';
import { WorstCase } from './worst-case';

type Cfn = Record<string, any>;

/** A handler with two statements on '*' for different reasons, invoked by a pipeline. */
function handlerStack(options: { nag2?: boolean; extra?: (h: StepHandler) => void } = {}) {
  const app = testApp();
  if (options.nag2) Aspects.of(app).add(new nag2.AwsSolutionsChecks({ reports: false }));
  const stack = new Stack(app, 'Nag', { env: { account: '111122223333', region: 'eu-central-1' } });
  const handler = new StepHandler(stack, 'Step', { handler: 'warm-up' });
  handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }), 'reason one: DescribeTaskDefinition has no resource type');
  handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'] }), 'reason two: ListTasks, limited by its cluster condition');
  options.extra?.(handler);
  const source = new codepipeline.Artifact('S');
  new codepipeline.Pipeline(stack, 'Pipeline', {
    artifactBucket: new s3.Bucket(stack, 'Artifacts'),
    stages: [
      { stageName: 'Source', actions: [new actions.S3SourceAction({ actionName: 'S', bucket: new s3.Bucket(stack, 'Src', { versioned: true }), bucketKey: 'k', output: source })] },
      { stageName: 'Step', actions: [handler.action({ actionName: 'Step', userParameters: {} })] },
    ],
  });
  return { app, stack, handler };
}

/** The acknowledgements (cdk-nag 3) recorded on a construct: { id: reason }, ids without the plugin namespace. */
const acksOf = (c: { node: { metadata: { type: string; data: unknown }[] } }): Record<string, string> =>
  Object.fromEntries(
    c.node.metadata
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => [id.replace(/^[^:[]+::/, ''), reason]),
  );

describe('acknowledgements per statement', () => {
  test("two wildcard statements with the same finding id land in two policies, each with its own statement's reason", () => {
    const { stack, handler } = handlerStack();
    const policies = handler.role.node.children.filter((c): c is iam.Policy => c instanceof iam.Policy && c.node.id.startsWith('Wildcards'));
    // The third: every step handler's GetJobDetails (the job runtime's corroboration).
    expect(policies).toHaveLength(3);
    const byAction = Object.fromEntries(
      policies.map((p) => [(Stack.of(p).resolve(p.document).Statement as Cfn[]).map((s) => s.Action).join(), acksOf(p)['AwsSolutions-IAM5[Resource::*]']]),
    );
    expect(byAction).toEqual({
      'ecs:DescribeTaskDefinition': 'reason one: DescribeTaskDefinition has no resource type',
      'ecs:ListTasks': 'reason two: ListTasks, limited by its cluster condition',
      'codepipeline:GetJobDetails': expect.stringMatching(/^codepipeline:GetJobDetails supports no resource-level permissions/),
    });
    // The default policy's '*' (LambdaInvokeAction's PutJob*Result) has the grant's reason, acknowledged there only.
    expect(acksOf(handler.role.node.findChild('DefaultPolicy'))['AwsSolutions-IAM5[Resource::*]']).toMatch(/PutJobSuccessResult/);
    expect(acksOf(handler)['AwsSolutions-IAM5[Resource::*]']).toBeUndefined();
    Template.fromStack(stack);
  });

  test('a later wildcard in the default policy cannot hide behind the grant reason: synth names it', () => {
    const { stack } = handlerStack({
      extra: (h) => h.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] })),
    });
    expect(() => Template.fromStack(stack)).toThrow(/a statement with s3:ListAllMyBuckets raises AwsSolutions-IAM5\[Resource::\*\], acknowledged only for codepipeline:PutJobSuccessResult/);
  });
});

describe('cdk-nag 2 (classic Aspects) sees the same acknowledgements', () => {
  const suppressions = (template: Template) =>
    Object.values<Cfn>(template.findResources('AWS::IAM::Policy')).map((p) => p.Metadata?.cdk_nag?.rules_to_suppress ?? []);

  test('as cdk_nag metadata on the resources, with the finding in applies_to; 0 findings', () => {
    const { app, stack } = handlerStack({ nag2: true });
    const assembly = app.synth();
    const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
    const rules = suppressions(template).flat();
    expect(rules).toContainEqual({ id: 'AwsSolutions-IAM5', reason: 'reason one: DescribeTaskDefinition has no resource type', applies_to: ['Resource::*'] });
    expect(rules).toContainEqual({ id: 'AwsSolutions-IAM5', reason: 'reason two: ListTasks, limited by its cluster condition', applies_to: ['Resource::*'] });
    const findings = assembly.getStackByName(stack.stackName).messages.filter((m) => /AwsSolutions-IAM5/.test(String(m.entry.data)) && m.id.startsWith('/Nag/Step/'));
    expect(findings.map((m) => `${m.id}: ${String(m.entry.data).slice(0, 80)}`)).toEqual([]);
  });

  test('without cdk-nag 2 the template carries no cdk_nag metadata', () => {
    const { stack } = handlerStack();
    expect(suppressions(Template.fromStack(stack)).flat()).toEqual([]);
  });
});

describe('statements that name each service: customer managed policies of the role', () => {
  const arns = (n: number, kind: string) => Array.from({ length: n }, (_, i) => `arn:aws:ecs:eu-central-1:111122223333:${kind}/staging-spryker/staging-application-${i}`);

  test('packed into policies of at most 6,144 characters (at the longest partition, region and account), each wildcard with its reason there', () => {
    const { stack, handler } = handlerStack({
      extra: (h) => {
        h.addServiceStatements(arns(60, 'service'), (chunk) => new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [...chunk] }));
        h.addServiceStatements(
          arns(60, 'service').map((a) => a.replace(':service/', ':service-deployment/') + '/*'),
          (chunk) => new iam.PolicyStatement({ actions: ['ecs:StopServiceDeployment'], resources: [...chunk] }),
          'reason three: deployment ids are ECS s',
        );
      },
    });
    const template = Template.fromStack(stack);
    const managed = Object.values<Cfn>(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(managed.length).toBeGreaterThan(1);
    const worst = new WorstCase(template.toJSON());
    for (const p of managed) expect(worst.policySize(p.Properties.PolicyDocument)).toBeLessThanOrEqual(6144);
    const all = managed.flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap((s: Cfn) => [s.Resource].flat());
    expect(all).toHaveLength(120);
    const policies = handler.node.findAll().filter((c): c is iam.ManagedPolicy => c instanceof iam.ManagedPolicy);
    const withStop = policies.filter((p) => JSON.stringify(Stack.of(p).resolve(p.document)).includes('StopServiceDeployment'));
    for (const p of withStop) {
      const reasons = Object.entries(acksOf(p)).filter(([id]) => id.includes('service-deployment'));
      expect(reasons.length).toBeGreaterThan(0);
      expect(new Set(reasons.map(([, r]) => r))).toEqual(new Set(['reason three: deployment ids are ECS s']));
    }
  });

  test("more than IAM's default of 10 managed policies per role is refused at synth, saying what to do", () => {
    const { stack } = handlerStack({
      extra: (h) => h.addServiceStatements(arns(700, 'service'), (chunk) => new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [...chunk] })),
    });
    expect(() => Template.fromStack(stack)).toThrow(/need 1[1-9] managed policies of 6144 characters, above IAM's default of 10 per role/);
  });

  test('a wildcard without a reason is refused', () => {
    expect(() =>
      handlerStack({ extra: (h) => h.addServiceStatements(['arn:aws:ecs:eu-central-1:111122223333:task-definition/staging-zed:*'], (chunk) => new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition'], resources: [...chunk] })) }),
    ).toThrow(/has a wildcard: pass the reason/);
  });
});
