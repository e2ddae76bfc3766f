import { Duration, Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SprykerPipeline, type SprykerPipelineProps } from '../../lib';
import { actionOf, baseProps, functionOf, stagesOf, statementsOfFunction, testApp, userParametersOf } from '../infra/helpers';
import { LISTENER_ARN, listener, maintenance } from './helpers';

function build(overrides: (stack: Stack) => Partial<SprykerPipelineProps>) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const pipeline = new SprykerPipeline(stack, 'Pipeline', baseProps(overrides(stack)));
  return { stack, pipeline, template: Template.fromStack(stack) };
}

const parameterValue = (template: Template, name: string) => {
  const [param] = Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: name } }));
  return param.Properties.Value;
};

describe('rollback of the deploy stages', () => {
  test('Deploy_Scheduler and Deploy_Spryker_services roll back on failure, no other stage does', () => {
    const { template } = build(() => ({}));
    const withRollback = stagesOf(template).filter((s) => s.OnFailure).map((s) => [s.Name, s.OnFailure]);
    expect(withRollback).toEqual([
      ['Deploy_Scheduler', { Result: 'ROLLBACK' }],
      ['Deploy_Spryker_services', { Result: 'ROLLBACK' }],
    ]);
  });

  test('rollbackOnFailure: false turns it off', () => {
    const { template } = build(() => ({ rollbackOnFailure: false }));
    expect(stagesOf(template).filter((s) => s.OnFailure)).toEqual([]);
  });

  test('the rolled-back stage redeploys from the release artifact (rollback reuses the last successful execution\'s artifacts)', () => {
    const { template } = build(() => ({}));
    expect(actionOf(template, 'Deploy_Spryker_services').InputArtifacts).toEqual([{ Name: 'Release' }]);
  });
});

describe('warm-up stage', () => {
  const urls = ['https://www.shop.de/', 'https://www.shop.de/computer', 'https://glue.shop.de/catalog-search?q=tv'];

  test('comes after Run_post-deploy_hook and points at its configuration in SSM', () => {
    const { template } = build(() => ({ warmUp: { urls, concurrency: 2, ttfbThreshold: Duration.millis(1500), onProblem: 'warn' } }));
    const names = stagesOf(template).map((s) => s.Name);
    // The Report stage stays last: it reports the warm-up too.
    expect(names.slice(-3)).toEqual(['Run_post-deploy_hook', 'Warm_up', 'Report']);
    expect(userParametersOf(template, 'Warm_up', 'Warm_up_and_smoke_check')).toEqual({ config: '/staging/pipeline/warm-up' });
    expect(JSON.parse(parameterValue(template, '/staging/pipeline/warm-up'))).toEqual({
      v: 1,
      urls,
      concurrency: 2,
      timeoutMs: 10_000,
      ttfbMs: 1500,
      onProblem: 'warn',
    });
  });

  test('the handler reads only its configuration and its timeout covers the worst case', () => {
    const { template } = build(() => ({ warmUp: { urls, concurrency: 2 } }));
    const fn = functionOf(template, 'Warm_up', 'Warm_up_and_smoke_check');
    // 2 rounds of 10 s, and 30 s to report.
    expect(template.toJSON().Resources[fn].Properties.Timeout).toBe(50);
    const ssm = statementsOfFunction(template, fn).filter((s) => JSON.stringify(s.Action).includes('ssm:'));
    expect(ssm).toHaveLength(1);
    const [configId] = Object.keys(template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/warm-up' } }));
    expect(JSON.stringify(ssm[0].Resource)).toContain(`{"Ref":"${configId}"}`);
    expect(ssm[0].Action).toEqual(['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory']);
  });

  test('no warmUp, no stage', () => {
    const { template } = build(() => ({}));
    expect(stagesOf(template).map((s) => s.Name)).not.toContain('Warm_up');
  });

  test('50 pages: UserParameters stay a pointer', () => {
    const many = Array.from({ length: 50 }, (_, i) => `https://www.shop.de/category-${i}/product-with-a-long-name-${i}`);
    const { template } = build(() => ({ warmUp: { urls: many, concurrency: 10 } }));
    expect(actionOf(template, 'Warm_up', 'Warm_up_and_smoke_check').Configuration.UserParameters.length).toBeLessThan(100);
  });
});

describe('notifications', () => {
  test('approval needed, failed and succeeded go to an encrypted topic that CodeStar Notifications may publish to', () => {
    const { template } = build(() => ({ notifications: {} }));
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      DetailType: 'FULL',
      EventTypeIds: [
        'codepipeline-pipeline-manual-approval-needed',
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-pipeline-execution-succeeded',
      ],
      Targets: [{ TargetType: 'SNS', TargetAddress: { Ref: Match.stringLikeRegexp('NotificationsTopic') } }],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Effect: 'Allow', Principal: { Service: 'codestar-notifications.amazonaws.com' } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Principal: { Service: 'codestar-notifications.amazonaws.com' } }),
        ]),
      },
    });
  });

  test('CodeStar Notifications may publish and use the key only for this account: every statement for it is conditioned', () => {
    const { template } = build(() => ({ notifications: {} }));
    const statements = [
      ...Object.values<any>(template.findResources('AWS::SNS::TopicPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement),
      ...Object.values<any>(template.findResources('AWS::KMS::Key')).flatMap((k) => k.Properties.KeyPolicy.Statement),
    ].filter((st) => st.Principal?.Service === 'codestar-notifications.amazonaws.com');
    expect(statements.map((st) => st.Action)).toEqual(expect.arrayContaining(['sns:Publish', ['kms:GenerateDataKey*', 'kms:Decrypt']]));
    for (const st of statements) expect(st.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '111122223333' } });
    // One publish grant for the topic, whatever the number of pipelines reporting to it.
    expect(statements.filter((st) => st.Action === 'sns:Publish')).toHaveLength(1);
  });

  test('the approval topic is encrypted with its own rotating key', () => {
    const { template } = build(() => ({ production: true, approval: { emails: ['release@example.com'] } }));
    const topics = Object.values<any>(template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'staging deployment approval' } }));
    expect(topics).toHaveLength(1);
    const keyId = topics[0].Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  test('only the chosen events, and a topic of the project', () => {
    const { template } = build(() => ({ notifications: { events: ['failed'] } }));
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', { EventTypeIds: ['codepipeline-pipeline-pipeline-execution-failed'] });
  });
});

describe('maintenance mode', () => {
  test('the configuration in SSM names the listener, priorities, allow-list and page', () => {
    const { template } = build((stack) => ({ maintenance: maintenance(stack, { priority: 5, page: '<h1>Back soon</h1>' }) }));
    expect(JSON.parse(parameterValue(template, '/staging/pipeline/maintenance'))).toEqual({
      v: 1,
      env: 'staging',
      listenerArn: LISTENER_ARN,
      priority: 5,
      allowedIps: ['203.0.113.0/24'],
      page: '<h1>Back soon</h1>',
      contentType: 'text/html',
    });
  });

  test('the handler may create rules on the listener and delete only rules of that listener', () => {
    const { template } = build((stack) => ({ maintenance: maintenance(stack) }));
    const [fn] = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('maintenance mode') } }));
    const statements = statementsOfFunction(template, fn);
    const of = (action: string) => statements.find((s) => [s.Action].flat().includes(action))!;
    expect(of('elasticloadbalancing:CreateRule').Resource).toBe(LISTENER_ARN);
    expect(of('elasticloadbalancing:DeleteRule').Resource).toBe(`${LISTENER_ARN.replace(':listener/', ':listener-rule/')}/*`);
    expect(of('elasticloadbalancing:AddTags').Resource).toBe(`${LISTENER_ARN.replace(':listener/', ':listener-rule/')}/*`);
    expect(of('elasticloadbalancing:DescribeRules').Resource).toBe('*');
  });

  test("a listener ARN token still scopes DeleteRule to the listener's rules", () => {
    const { template } = build((stack) => ({ maintenance: maintenance(stack, { listener: listener(stack, Fn.importValue('ShopListenerArn'), 'ImportedListener') }) }));
    const [fn] = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('maintenance mode') } }));
    const del = statementsOfFunction(template, fn).find((s) => [s.Action].flat().includes('elasticloadbalancing:DeleteRule'))!;
    const split = { 'Fn::Split': [':listener/', { 'Fn::ImportValue': 'ShopListenerArn' }] };
    expect(del.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::Select': [0, split] }, ':listener-rule/', { 'Fn::Select': [1, split] }, '/*']] });
  });

  test('duringInstall: Run_install (only) turns maintenance on and off, and its handler may', () => {
    const { template } = build((stack) => ({ maintenance: maintenance(stack, { duringInstall: true }) }));
    expect(userParametersOf(template, 'Run_install')).toMatchObject({ hook: 'install', maintenance: '/staging/pipeline/maintenance' });
    expect(userParametersOf(template, 'Run_pre-deploy_hook').maintenance).toBeUndefined();
    expect(userParametersOf(template, 'Run_post-deploy_hook').maintenance).toBeUndefined();
    const actions = statementsOfFunction(template, functionOf(template, 'Run_install')).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:DescribeRules']));
  });

  test('without duringInstall Run_install does not touch maintenance', () => {
    const { template } = build((stack) => ({ maintenance: maintenance(stack) }));
    expect(userParametersOf(template, 'Run_install').maintenance).toBeUndefined();
    const actions = statementsOfFunction(template, functionOf(template, 'Run_install')).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('elasticloadbalancing:'))).toEqual([]);
  });

  test('props are validated together, naming each prop', () => {
    const stack = new Stack(testApp(), 'Bad');
    expect(
      () =>
        new SprykerPipeline(
          stack,
          'Pipeline',
          baseProps({
            maintenance: maintenance(stack, { priority: 0, allowedIps: ['203.0.113.7', '10.0.0.0/8'], page: 'x'.repeat(1025) }),
            warmUp: { urls: ['www.shop.de'], concurrency: 0, ttfbThreshold: Duration.seconds(20) },
            notifications: { events: [] },
          }),
        ),
    ).toThrow(
      new RegExp(
        [
          'maintenance.priority: 0 is not a listener rule priority',
          'maintenance.allowedIps: 203.0.113.7 not in CIDR notation',
          'maintenance.page: is 1025 characters; an ALB fixed response holds at most 1024',
          'warmUp.urls: www.shop.de not http\\(s\\) URLs',
          'warmUp.concurrency: 0 is not allowed',
          'warmUp.ttfbThreshold: must be below warmUp.timeout \\(10000 ms\\)',
          'notifications.events: is empty',
        ].join('[\\s\\S]*'),
      ),
    );
  });

  test('a warm-up that cannot finish within a step is refused', () => {
    const stack = new Stack(testApp(), 'Slow');
    const urls = Array.from({ length: 100 }, (_, i) => `https://www.shop.de/p/${i}`);
    expect(() => new SprykerPipeline(stack, 'Pipeline', baseProps({ warmUp: { urls, concurrency: 1, timeout: Duration.seconds(10) } }))).toThrow(
      /warmUp: requesting 100 pages, 1 at a time, may take 16.7 minutes when every page times out; a step may run 14: raise concurrency/,
    );
  });
});
