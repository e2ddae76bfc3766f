/** The Report stage, the reports bucket, the end-of-run rule and the dashboard in the template (issue 16). */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { METRIC, SprykerDashboard, SprykerDestructivePipeline, SprykerPipeline } from '../../lib';
import { baseProps, functionOf, stagesOf, statementsOfFunction, synthPipeline, testApp, userParametersOf } from '../infra/helpers';

type Cfn = Record<string, any>;

describe('report on (the default)', () => {
  const { template, pipeline, stack } = synthPipeline({ notifications: {} });
  const bucketId = stack.getLogicalId(pipeline.reports!.bucket.node.defaultChild as never);
  const ruleId = stack.getLogicalId(pipeline.reports!.rule.node.defaultChild as never);
  const handlerId = functionOf(template, 'Report');

  test('Report is the last stage; its action invokes the report handler with the environment', () => {
    expect(stagesOf(template).at(-1)!.Name).toBe('Report');
    expect(userParametersOf(template, 'Report')).toEqual({ environment: 'staging' });
    expect(handlerId).toMatch(/ReportsHandler/);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REPORT_BUCKET: { Ref: bucketId }, REPORT_ENVIRONMENT: 'staging', STEP_PIPELINES: 'staging-deploy' }) },
    });
  });

  test('the reports bucket: encrypted, no public access, TLS only, every object expires (365 days)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365, Status: 'Enabled' })] },
    });
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p: Cfn) => p.Properties.Bucket.Ref === bucketId) as Cfn;
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
  });

  test('the handler may put report objects in that bucket, read the last rolling run\'s pointer and only the environment\'s pipelines', () => {
    const statements = statementsOfFunction(template, handlerId);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] } }),
        // The last rolling run's pointer, for a together run's comparison: that one key, read and listed.
        expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/latest-rolling/staging.json']] } }),
        expect.objectContaining({ Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] }, Condition: { StringEquals: { 's3:prefix': 'latest-rolling/staging.json' } } }),
        expect.objectContaining({
          Action: ['codepipeline:GetPipelineExecution', 'codepipeline:ListActionExecutions'],
          Resource: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':codepipeline:eu-central-1:111122223333:staging-deploy']] }],
        }),
      ]),
    );
  });

  test('the rule: every end of an execution of the pipeline, to the handler with the event fields, and the report link to the topic', () => {
    const rule = template.toJSON().Resources[ruleId] as Cfn;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      detail: { pipeline: ['staging-deploy'], state: ['SUCCEEDED', 'FAILED', 'STOPPED'] },
    });
    const [toHandler, toTopic] = rule.Properties.Targets;
    expect(toHandler.Arn).toEqual({ 'Fn::GetAtt': [handlerId, 'Arn'] });
    // EventBridge puts each field in as a JSON string.
    expect(toHandler.InputTransformer.InputTemplate).toBe('{"reportAfterExecution":{"pipeline":<detail-pipeline>,"executionId":<detail-execution-id>,"state":<detail-state>}}');
    expect(toHandler.InputTransformer.InputPathsMap).toEqual({ 'detail-pipeline': '$.detail.pipeline', 'detail-execution-id': '$.detail.execution-id', 'detail-state': '$.detail.state' });
    // The link the report step builds, from the same event fields.
    expect(JSON.stringify(toTopic.InputTransformer.InputTemplate)).toContain('s3.console.aws.amazon.com/s3/object/');
    expect(JSON.stringify(toTopic.InputTransformer.InputTemplate)).toContain('?region=eu-central-1&prefix=<detail-pipeline>/<detail-execution-id>/report.html');
    const topicPolicy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0] as Cfn;
    expect(topicPolicy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } } }),
      ]),
    );
  });

  test('one dashboard for the environment, graphing every window and stage by its documented metric name', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Cfn[];
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].Properties.DashboardName).toBe('staging-deployments');
    const body = JSON.stringify(stack.resolve(dashboards[0].Properties.DashboardBody));
    for (const name of [METRIC.window('schedulerPaused'), METRIC.window('dbAheadOfServices'), METRIC.window('syncCatchUp'), METRIC.window('mixedVersions'), METRIC.window('maintenance'), METRIC.stage('Run_install'), METRIC.leadTime, METRIC.failed, METRIC.rollback]) {
      expect(body).toContain(`\\"${name}\\"`);
    }
    expect(body).toContain('SprykerPipeline');
    expect(body).toContain('\\"Environment\\",\\"staging\\"');
    expect(body).not.toContain(METRIC.stage('Report'));
    expect(pipeline.dashboard!.metric(METRIC.window('maintenance')).dimensions).toEqual({ Environment: 'staging' });
  });
});

test('a together cutover graphs the shift spread beside the readiness spread; a rolling one does not', () => {
  const body = (cutover: 'rolling' | 'together') => {
    const stack = new Stack(testApp(), 'Test');
    new SprykerDashboard(stack, 'Dashboard', { environment: 'staging', stages: ['Run_install'], cutover });
    const [dashboard] = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard')) as Cfn[];
    return JSON.stringify(stack.resolve(dashboard.Properties.DashboardBody));
  };
  expect(body('together')).toContain(`\\"${METRIC.cutoverShiftSpread}\\"`);
  expect(body('together')).toContain(`\\"${METRIC.cutoverArrivalSpread}\\"`);
  expect(body('rolling')).not.toContain(METRIC.cutoverShiftSpread);
});

test('a companion pipeline shares the bucket, rule and dashboard, and its executions are reported too', () => {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const normal = new SprykerPipeline(stack, 'Pipeline', baseProps());
  const destructive = new SprykerDestructivePipeline(stack, 'Destructive', { pipeline: normal });
  const template = Template.fromStack(stack);
  expect(destructive.reports).toBe(normal.reports);
  expect(destructive.dashboard).toBe(normal.dashboard);
  template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { pipeline: ['staging-deploy', 'staging-destructive'], state: Match.anyValue() } }) });
  const pipelines = Object.values(template.findResources('AWS::CodePipeline::Pipeline')) as Cfn[];
  expect(pipelines.map((p) => p.Properties.Stages.at(-1).Name)).toEqual(['Report', 'Report']);
});

test('report.enabled false: no Report stage, bucket, rule or dashboard', () => {
  const { template, pipeline } = synthPipeline({ report: { enabled: false } });
  expect(stagesOf(template).map((s) => s.Name)).not.toContain('Report');
  template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  expect(pipeline.reports).toBeUndefined();
  const rules = Object.values(template.findResources('AWS::Events::Rule')) as Cfn[];
  expect(rules.filter((r) => JSON.stringify(r.Properties.EventPattern).includes('Pipeline Execution State Change'))).toHaveLength(0);
});

test('report.retention sets the expiry; a retention that is no whole number of days is refused, naming the prop', () => {
  const { template } = synthPipeline({ report: { retention: Duration.days(30) } });
  template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] } });
  expect(() => synthPipeline({ report: { retention: Duration.hours(36) } })).toThrow(/report\.retention: is 1 day 12 hours: use whole days from 1 to 3650/);
  expect(() => synthPipeline({ report: { retention: Duration.days(4000) } })).toThrow(/report\.retention/);
});
