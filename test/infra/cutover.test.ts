import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { SprykerPipeline } from '../../lib';
import { baseProps, functionOf, arnText, statementsOfFunction, synthPipeline, testApp } from './helpers';

type Cfn = Record<string, any>;

const TOGETHER = { cutover: 'together' as const, cutoverChecks: { yves: ['https://www.shop.de:8443/'], glue: ['https://glue.shop.de:8443/catalog-search?q=camera'] } };

const hookOf = (template: Template): [string, Cfn] => {
  const found = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'staging-cutover-hook' } }));
  expect(found).toHaveLength(1);
  return found[0] as [string, Cfn];
};

test("'rolling' (the default) adds no hook, no blue/green permission and no cutover in the model", () => {
  const { template } = synthPipeline();
  expect(Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'staging-cutover-hook' } }))).toEqual([]);
  const model = Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/model' } }))[0] as Cfn;
  expect(JSON.stringify(model.Properties.Value)).not.toContain('cutover');
  const deploy = statementsOfFunction(template, functionOf(template, 'Deploy_Spryker_services'));
  expect(JSON.stringify(deploy)).not.toContain('ServiceDeployment');
});

test("'together': the hook function, its configuration, the role ECS assumes to invoke it, and the deploy step's blue/green permissions", () => {
  const { template } = synthPipeline(TOGETHER);
  const [hookId, hook] = hookOf(template);
  expect(hook.Properties.Environment.Variables.CUTOVER_CONFIG).toBe('/staging/pipeline/cutover');
  expect(hook.Properties.Environment.Variables.STEP_TABLE).toBeDefined();
  // The pages are keyed by ECS service name for the hook.
  const config = Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/cutover' } }))[0] as Cfn;
  expect(JSON.parse(config.Properties.Value)).toEqual({
    v: 1,
    model: '/staging/pipeline/model',
    checks: { 'staging-yves': ['https://www.shop.de:8443/'], 'staging-glue': ['https://glue.shop.de:8443/catalog-search?q=camera'] },
    concurrency: 4,
    timeoutMs: 10_000,
    ttfbMs: 3000,
  });
  // ECS assumes this role to invoke the hook, and it may invoke nothing else.
  const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ecs.amazonaws.com' } })] } } });
  expect(Object.keys(roles)).toHaveLength(1);
  const [roleId] = Object.keys(roles);
  const invoke = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: Cfn) => p.Properties.Roles.some((r: Cfn) => r.Ref === roleId)) as Cfn[];
  expect(invoke.flatMap((p) => p.Properties.PolicyDocument.Statement)).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [hookId, 'Arn'] } }]);
  // The hook reads ECS's deployments and revisions of the environment's application services only. IAM
  // authorizes DescribeServiceDeployments/-Revisions on the service and on the deployment (revision) together
  // (Service Authorization Reference: both resource types required).
  const arn = (resource: string) => `arn:aws:ecs:eu-central-1:111122223333:${resource}`;
  const apps = ['zed', 'yves', 'glue', 'backoffice'].map((a) => `staging-spryker/staging-${a}`);
  const hookStatements = statementsOfFunction(template, hookId);
  const reads = hookStatements.filter((s) => JSON.stringify(s.Action).includes('ecs:DescribeServiceDeployments'));
  expect(reads.map((s) => s.Action)).toEqual([
    ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
    ['ecs:DescribeServiceDeployments', 'ecs:DescribeServiceRevisions'],
  ]);
  expect(reads.flatMap((s) => [s.Resource].flat().map(arnText)).sort()).toEqual(
    apps.flatMap((a) => [arn(`service/${a}`), arn(`service-deployment/${a}/*`), arn(`service-revision/${a}/*`)]).sort(),
  );
  // ECS invokes the hook, not CodePipeline: no job to corroborate, so no CodePipeline grant.
  expect(hookStatements.flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('codepipeline:'))).toEqual([]);
  const deploy = statementsOfFunction(template, functionOf(template, 'Deploy_Spryker_services'));
  const tracking = deploy.filter((s) => JSON.stringify(s.Action).includes('ServiceDeployment'));
  expect(tracking.map((s) => [[s.Action].flat(), [s.Resource].flat().map(arnText)])).toEqual([
    [['ecs:ListServiceDeployments', 'ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment'], apps.map((a) => arn(`service/${a}`))],
    [['ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment'], apps.map((a) => arn(`service-deployment/${a}/*`))],
  ]);
  // The model names the hook by its fixed name: no reference (no cycle), no token (the model stays measurable, standard tier).
  const model = Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/model' } }))[0] as Cfn;
  expect(JSON.parse(model.Properties.Value).cutover).toEqual({ hook: 'staging-cutover-hook', barrierTimeoutMs: 30 * 60_000 });
  expect(model.Properties.Tier).toBe('Standard');
});

test("pipeline.cutoverHook on the shop's BLUE_GREEN service: the hook, the role and both stages in its deployment configuration", () => {
  const app = testApp();
  const stack = new Stack(app, 'Shop', { env: { account: '111122223333', region: 'eu-central-1' } });
  const pipeline = new SprykerPipeline(stack, 'Pipeline', baseProps(TOGETHER));
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, clusterName: 'staging-spryker' });
  const td = new ecs.FargateTaskDefinition(stack, 'Yves');
  td.addContainer('yves', { image: ecs.ContainerImage.fromRegistry('yves'), portMappings: [{ containerPort: 80 }] });
  const service = new ecs.FargateService(stack, 'YvesService', {
    cluster,
    taskDefinition: td,
    serviceName: 'staging-yves',
    deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN,
    bakeTime: Duration.minutes(5),
    lifecycleHooks: [pipeline.cutoverHook!],
  });
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
  const listener = alb.addListener('Https', { port: 80, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
  const blue = new elbv2.ApplicationTargetGroup(stack, 'Blue', { vpc, port: 80, targetType: elbv2.TargetType.IP });
  const green = new elbv2.ApplicationTargetGroup(stack, 'Green', { vpc, port: 80, targetType: elbv2.TargetType.IP });
  const rule = new elbv2.ApplicationListenerRule(stack, 'Prod', { listener, priority: 1, conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])], action: elbv2.ListenerAction.forward([blue]) });
  service
    .loadBalancerTarget({ containerName: 'yves', containerPort: 80, alternateTarget: new ecs.AlternateTarget('Green', { alternateTargetGroup: green, productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(rule) }) })
    .attachToApplicationTargetGroup(blue);
  const template = Template.fromStack(stack);
  const [hookId] = hookOf(template);
  const svc = Object.values(template.findResources('AWS::ECS::Service')) as Cfn[];
  const dc = svc[0].Properties.DeploymentConfiguration;
  expect(dc.Strategy).toBe('BLUE_GREEN');
  expect(dc.LifecycleHooks).toEqual([
    { HookTargetArn: { 'Fn::GetAtt': [hookId, 'Arn'] }, RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/CutoverEcsInvokesHook/), 'Arn'] }, LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'] },
  ]);
});

test('cdk-nag (AwsSolutions, ServerlessChecks): the together wiring raises no unacknowledged finding', () => {
  const app = testApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const stack = new Stack(app, 'Nag', { env: { account: '111122223333', region: 'eu-central-1' } });
  new SprykerPipeline(stack, 'Pipeline', baseProps(TOGETHER));
  expect(() => app.synth()).not.toThrow();
});

test("the hook's cdk-nag acknowledgements say what is true of a function ECS invokes: no CodePipeline wording, and it is no pipeline action", () => {
  const { pipeline } = synthPipeline(TOGETHER);
  const hook = pipeline.deployment.cutover!.hook;
  // Every acknowledgement on the hook, its role and its policies (cdk-nag 3 reads this metadata).
  const acks = hook.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
    .flatMap((m) => Object.entries(m.data as Record<string, string>))
    .map(([id, reason]) => [id.replace(/^Annotation::/, ''), reason] as const);
  const ids = acks.map(([id]) => id);
  expect(ids).toEqual(expect.arrayContaining(['Serverless-LambdaDLQ', 'Serverless-LambdaAsyncFailureDestination', 'Serverless-LambdaTracing']));
  expect(acks.filter(([, reason]) => /codepipeline|GetJobDetails|job/i.test(reason))).toEqual([]);
  const reason = (id: string) => acks.find(([i]) => i === id)![1];
  // Why no DLQ: the invocation is synchronous and ECS re-invokes on IN_PROGRESS; a failed hook rolls the deployment back.
  expect(reason('Serverless-LambdaDLQ')).toMatch(/synchronously[\s\S]*IN_PROGRESS[\s\S]*roll/);
  // A step handler of the pipeline keeps CodePipeline's wording.
  const step = pipeline.deployment.sharedHandler('Deploy', { handler: 'deploy' }, () => undefined);
  const stepAcks = step.function.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').flatMap((m) => Object.values(m.data as Record<string, string>));
  expect(stepAcks.join(' ')).toContain('CodePipeline');
  expect(() => hook.action({ actionName: 'Hook', userParameters: {} })).toThrow(/invoked by ecs-lifecycle-hook, not by CodePipeline/);
});

test('validation: an unknown cutover, pages without together, pages of an unknown application, a page that is no URL — all at once', () => {
  expect(() => synthPipeline({ cutover: 'sideways' as 'together', cutoverChecks: { yves: ['https://x/'] } })).toThrow(/cutover: 'sideways' is not allowed: use 'rolling'/);
  let message = '';
  try {
    synthPipeline({ cutoverChecks: { yves: ['www.shop.de'], search: ['https://x/'] } });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/cutoverChecks: applies only with cutover: 'together'/);
  expect(message).toMatch(/cutoverChecks\.yves: www\.shop\.de not http\(s\) URLs/);
  expect(message).toMatch(/cutoverChecks\.search: 'search' is not an application service \(zed, yves, glue, backoffice\)/);
});
