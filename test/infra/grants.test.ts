import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SprykerDestructivePipeline, SprykerPipeline, type SprykerPipelineProps } from '../../lib';
import { MAINTENANCE_TAG } from '../../lib/maintenance';
import { TAG_ENV } from '../../lambda/maintenance-mode';
import { maintenance } from '../companion/helpers';
import { actionsOf, arnText, baseProps, functionOf, statementsOfFunction, synthPipeline, testApp } from './helpers';

type Cfn = Record<string, any>;

const ACCOUNT = '111122223333';
const td = (family: string) => `arn:aws:ecs:eu-central-1:${ACCOUNT}:task-definition/${family}:*`;
const statementWith = (statements: Cfn[], action: string): Cfn => {
  const found = statements.filter((s) => actionsOf([s]).includes(action));
  expect(found).toHaveLength(1);
  return found[0];
};
const resources = (s: Cfn): string[] => [s.Resource].flat().map(arnText);
const FAMILIES = ['zed', 'yves', 'glue', 'backoffice', 'scheduler'].map((a) => td(`staging-${a}`));

describe('grants scoped to the environment (services imported by name)', () => {
  const { template } = synthPipeline();
  const pre = statementsOfFunction(template, functionOf(template, 'Pre_Deployment_Configuration'));
  const deploy = statementsOfFunction(template, functionOf(template, 'Deploy_Spryker_services'));
  const hook = statementsOfFunction(template, functionOf(template, 'Run_install'));

  test('RegisterTaskDefinition: only revisions of the environment families; tags only while registering', () => {
    expect(resources(statementWith(pre, 'ecs:RegisterTaskDefinition'))).toEqual(FAMILIES);
    // Tag-on-create: ECS evaluates it only inside the RegisterTaskDefinition above, bounded to the families there.
    const tag = statementWith(pre, 'ecs:TagResource');
    expect(resources(tag)).toEqual([`arn:aws:ecs:eu-central-1:${ACCOUNT}:task-definition/*`]);
    expect(tag.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } });
  });

  test('the hooks describe the hook service only, and list no tasks', () => {
    expect(resources(statementWith(hook, 'ecs:DescribeServices'))).toEqual([`arn:aws:ecs:eu-central-1:${ACCOUNT}:service/staging-spryker/staging-zed`]);
    expect(actionsOf(hook)).not.toContain('ecs:ListTasks');
  });

  test('UpdateService: the services, and only to a revision of their families', () => {
    const update = statementWith(deploy, 'ecs:UpdateService');
    expect(actionsOf([update])).toEqual(['ecs:UpdateService']);
    expect(update.Condition.ArnLike['ecs:task-definition'].map(arnText)).toEqual(FAMILIES);
    expect(statementWith(deploy, 'ecs:DescribeServices').Condition).toBeUndefined();
  });

  test('iam:PassRole: roles named after the environment, to ECS tasks only', () => {
    for (const statements of [pre, deploy, hook]) {
      const pass = statementWith(statements, 'iam:PassRole');
      expect(resources(pass)).toEqual([`arn:aws:iam::${ACCOUNT}:role/staging-*`]);
      expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    }
  });

  test('hooks: RunTask and StopTask on the cluster only, log events of the default hook log groups only', () => {
    expect(resources(statementWith(hook, 'ecs:RunTask'))).toEqual([td('staging-zed')]);
    const stop = statementWith(hook, 'ecs:StopTask');
    expect(arnText(stop.Condition.ArnEquals['ecs:cluster'])).toBe(`arn:aws:ecs:eu-central-1:${ACCOUNT}:cluster/staging-spryker`);
    expect(resources(statementWith(hook, 'logs:GetLogEvents'))).toEqual([
      `arn:aws:logs:eu-central-1:${ACCOUNT}:log-group:/ecs/staging-*:log-stream:*`,
      `arn:aws:logs:eu-central-1:${ACCOUNT}:log-group:/staging/*:log-stream:*`,
    ]);
  });

  test("'*' only for actions the Service Authorization Reference gives no resource type", () => {
    const allowed = new Set(['ecs:DescribeTaskDefinition', 'ecs:ListTasks', 'codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult', 'codepipeline:GetJobDetails']);
    const fns = Object.keys(template.findResources('AWS::Lambda::Function'));
    const onStar = fns.flatMap((fn) => statementsOfFunction(template, fn)).filter((s) => [s.Resource].flat().includes('*'));
    expect(onStar.length).toBeGreaterThan(0);
    for (const a of actionsOf(onStar)) expect(allowed).toContain(a);
  });
});

describe('roles and log groups given explicitly', () => {
  test('taskRoleArn / executionRoleArn: exactly those roles may be passed, no pattern', () => {
    const role = (n: string) => `arn:aws:iam::${ACCOUNT}:role/${n}`;
    const services = ['zed', 'yves'].map((application) => ({ application, taskRoleArn: role(`shop-${application}-task`), executionRoleArn: role('shop-execution') }));
    const { template } = synthPipeline({ services, scheduler: { application: 'scheduler', taskRoleArn: role('shop-jenkins-task'), executionRoleArn: role('shop-execution') }, hookLogGroups: ['/shop/zed'] });
    const pre = statementsOfFunction(template, functionOf(template, 'Pre_Deployment_Configuration'));
    expect(resources(statementWith(pre, 'iam:PassRole')).sort()).toEqual([role('shop-execution'), role('shop-jenkins-task'), role('shop-yves-task'), role('shop-zed-task')]);
    const hook = statementsOfFunction(template, functionOf(template, 'Run_install'));
    // The hook runs zed's task definition: zed's roles only.
    expect(resources(statementWith(hook, 'iam:PassRole')).sort()).toEqual([role('shop-execution'), role('shop-zed-task')]);
    expect(resources(statementWith(hook, 'logs:GetLogEvents'))).toEqual([`arn:aws:logs:eu-central-1:${ACCOUNT}:log-group:/shop/zed:log-stream:*`]);
  });

  test("services as constructs: their task definitions' roles and the hook containers' awslogs group", () => {
    const app = testApp();
    const stack = new Stack(app, 'Svc', { env: { account: ACCOUNT, region: 'eu-central-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const service = (application: string) => {
      const def = new ecs.FargateTaskDefinition(stack, `${application}Td`, { family: `shop-${application}` });
      const logGroup = new logs.LogGroup(stack, `${application}Logs`, { logGroupName: `/shop/${application}` });
      def.addContainer(application, { image: ecs.ContainerImage.fromRegistry(`spryker/${application}`), logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'x', logGroup }) });
      return { application, service: new ecs.FargateService(stack, application, { cluster, taskDefinition: def }) };
    };
    const zed = service('zed');
    new SprykerPipeline(stack, 'Pipeline', baseProps({ cluster, services: [zed], scheduler: service('scheduler') }));
    const t = Template.fromStack(stack);
    const hookFn = Object.entries(t.findResources('AWS::Lambda::Function')).find(([, f]) => /hooks/.test(f.Properties.Description))![0];
    const hook = statementsOfFunction(t, hookFn);
    const pass = statementWith(hook, 'iam:PassRole');
    const refs = [pass.Resource].flat().map((r: Cfn) => r['Fn::GetAtt']?.[0]);
    const roleOf = (id: string) => Stack.of(zed.service).getLogicalId(zed.service.taskDefinition.node.findChild(id).node.defaultChild as iam.CfnRole);
    expect(refs.sort()).toEqual([roleOf('ExecutionRole'), roleOf('TaskRole')].sort());
    const logGroup = Stack.of(zed.service).getLogicalId(stack.node.findChild('zedLogs').node.defaultChild as logs.CfnLogGroup);
    expect(statementWith(hook, 'logs:GetLogEvents').Resource['Fn::Join'][1]).toContainEqual({ Ref: logGroup });
  });

  test('bad role ARNs and log groups are refused, naming the prop', () => {
    const props: Partial<SprykerPipelineProps> = {
      services: [{ application: 'zed', taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/*`, executionRoleArn: 'shop-execution' }],
      hookLogGroups: ['shop logs'],
    };
    expect(() => synthPipeline(props)).toThrow(/services\[0\]\.taskRoleArn: .*without wildcards[\s\S]*services\[0\]\.executionRoleArn[\s\S]*hookLogGroups\[0\]/);
  });
});

describe('the destructive install is in the model only when a destructive pipeline exists', () => {
  const model = (template: Template) => JSON.parse(Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/model' } }))[0].Properties.Value);

  test('with a destructive companion pipeline', () => {
    const app = testApp();
    const stack = new Stack(app, 'Env', { env: { account: ACCOUNT, region: 'eu-central-1' } });
    new SprykerPipeline(stack, 'Pipeline', baseProps({ hooks: { destructiveInstall: 'vendor/bin/install -r EU/wipe' } }));
    expect(model(Template.fromStack(stack)).hooks.destructiveInstall).toBeUndefined();
    // The model is rendered at synth: the companion, created after the normal pipeline, enables it.
    const app2 = testApp();
    const stack2 = new Stack(app2, 'Env', { env: { account: ACCOUNT, region: 'eu-central-1' } });
    new SprykerDestructivePipeline(stack2, 'Destructive', { pipeline: new SprykerPipeline(stack2, 'Pipeline', baseProps({ hooks: { destructiveInstall: 'vendor/bin/install -r EU/wipe' } })) });
    expect(model(Template.fromStack(stack2)).hooks.destructiveInstall).toBe('vendor/bin/install -r EU/wipe');
  });

  test('a pipeline of type destructive', () => {
    expect(model(synthPipeline({ pipelineType: 'destructive' }).template).hooks.destructiveInstall).toBe('vendor/bin/install -r EU/destructive --no-ansi -vvv');
  });
});

describe('maintenance: rule changes limited to the rules the handler tags for this environment', () => {
  test('AddTags only within CreateRule and with the environment tag; DeleteRule only on rules with it', () => {
    expect(MAINTENANCE_TAG).toBe(TAG_ENV);
    const app = testApp();
    const stack = new Stack(app, 'M', { env: { account: ACCOUNT, region: 'eu-central-1' } });
    new SprykerPipeline(stack, 'Pipeline', baseProps({ maintenance: maintenance(stack) }));
    const t = Template.fromStack(stack);
    const fn = Object.entries(t.findResources('AWS::Lambda::Function')).find(([, f]) => /maintenance mode/.test(f.Properties.Description))![0];
    const statements = statementsOfFunction(t, fn);
    expect(statementWith(statements, 'elasticloadbalancing:AddTags').Condition).toEqual({
      StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule', [`aws:RequestTag/${TAG_ENV}`]: 'staging' },
    });
    expect(statementWith(statements, 'elasticloadbalancing:DeleteRule').Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${TAG_ENV}`]: 'staging' } });
  });
});

describe('grants that name each service, for 50 services: customer managed policies, each service named once', () => {
  const services = Array.from({ length: 50 }, (_, i) => ({ application: `application-${String(i).padStart(2, '0')}` }));
  const { template } = synthPipeline({ services, hookService: 'application-00' });
  const deploy = statementsOfFunction(template, functionOf(template, 'Deploy_Spryker_services'));
  const names = [...services.map((s) => `staging-${s.application}`), 'staging-scheduler'];

  test('UpdateService: chunks of services, each chunk only to revisions of its own families', () => {
    const updates = deploy.filter((s) => actionsOf([s]).includes('ecs:UpdateService'));
    expect(updates.length).toBeGreaterThan(1);
    const updated = updates.flatMap((s) => resources(s).map((arn) => arn.split('/').pop()));
    expect(updated.sort()).toEqual([...names].sort());
    for (const s of updates) {
      const families = s.Condition.ArnLike['ecs:task-definition'].map(arnText);
      expect(families).toEqual(resources(s).map((arn) => td(arn.split('/').pop()!)));
    }
  });

  test('the per-service statements live in managed policies of the role; inline keeps the fixed ones', () => {
    const roleId = template.toJSON().Resources[functionOf(template, 'Deploy_Spryker_services')].Properties.Role['Fn::GetAtt'][0];
    const attached = (type: string) => Object.values(template.findResources(type)).filter((p: Cfn) => p.Properties.Roles?.some((r: Cfn) => r.Ref === roleId)) as Cfn[];
    const inline = attached('AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement);
    const managed = attached('AWS::IAM::ManagedPolicy').flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(actionsOf(inline)).not.toContain('ecs:DescribeServices');
    expect(actionsOf(inline)).not.toContain('ecs:UpdateService');
    const described = managed.filter((s) => actionsOf([s]).includes('ecs:DescribeServices')).flatMap((s) => resources(s).map((arn) => arn.split('/').pop()));
    expect(described.sort()).toEqual([...names].sort());
    expect(actionsOf(inline)).toEqual(expect.arrayContaining(['ecs:DescribeTasks', 'ecs:ListTasks', 'codepipeline:GetJobDetails']));
    // The function, and so the pipeline's first run, waits until the managed policies are attached.
    const fn = template.toJSON().Resources[functionOf(template, 'Deploy_Spryker_services')];
    const managedIds = Object.keys(template.findResources('AWS::IAM::ManagedPolicy')).filter((id) => template.toJSON().Resources[id].Properties.Roles?.some((r: Cfn) => r.Ref === roleId));
    expect(managedIds.length).toBeGreaterThan(1);
    expect(fn.DependsOn).toEqual(expect.arrayContaining(managedIds));
  });
});
