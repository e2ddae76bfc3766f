import { Duration } from 'aws-cdk-lib';
import { demoServices } from '../../bin/demo';
import { actionOf, arnText, functionOf, stagesOf, statementsOfFunction, synthPipeline, userParametersOf } from '../infra/helpers';

type Cfn = Record<string, any>;
const CONNECTION = { connectionArn: 'arn:aws:codeconnections:eu-central-1:111122223333:connection/abc', repository: 'acme/shop' };
const actionNames = (template: ReturnType<typeof synthPipeline>['template']) =>
  stagesOf(template).find((s) => s.Name === 'Please_approve')!.Actions.map((a: Cfn) => a.Name);

describe('production: version action, then a manual approval', () => {
  const { template } = synthPipeline({ environment: 'production', source: { connection: CONNECTION }, approval: { emails: ['release@example.com', 'ops@example.com'] } });

  test('Prepare_versions exposes the Versions namespace and points at the parameters by name', () => {
    const action = actionOf(template, 'Please_approve', 'Prepare_versions');
    expect(action.Namespace).toBe('Versions');
    expect(action.RunOrder).toBe(1);
    expect(userParametersOf(template, 'Please_approve', 'Prepare_versions')).toEqual({
      sourceVersion: '#{Source.CommitId}',
      desiredVersionParameter: '/production/desired_version',
      lastDeployedVersionParameter: '/production/lastdeployedversion',
    });
  });

  test('the approval shows the version to deploy and the last deployed one, notifies by SNS and e-mail, waits 7 days', () => {
    const approval = actionOf(template, 'Please_approve', 'Please_approve');
    expect(approval.ActionTypeId).toMatchObject({ Category: 'Approval', Provider: 'Manual' });
    expect(approval.RunOrder).toBe(4);
    expect(approval.Configuration.CustomData).toBe('Deploy #{Versions.VERSION} to production (last deployed: #{Versions.LAST_DEPLOYED_VERSION}). #{ReleaseDiff.SUMMARY}');
    expect(approval.TimeoutInMinutes).toBe(7 * 24 * 60);
    expect(approval.Configuration.NotificationArn.Ref).toMatch(/^PipelinePleaseApproveTopic/);
    for (const email of ['release@example.com', 'ops@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
    }
  });

  test('the handler reads exactly the two parameters and nothing else', () => {
    const statements = statementsOfFunction(template, functionOf(template, 'Please_approve', 'Prepare_versions'));
    const ssm = statements.filter((s) => JSON.stringify(s.Action).includes('ssm:'));
    expect(ssm).toHaveLength(1);
    expect(ssm[0].Action).toBe('ssm:GetParameter');
    expect(ssm[0].Resource.map(arnText)).toEqual([
      'arn:aws:ssm:eu-central-1:111122223333:parameter/production/desired_version',
      'arn:aws:ssm:eu-central-1:111122223333:parameter/production/lastdeployedversion',
    ]);
    expect(statements.some((s) => JSON.stringify(s.Action).includes('s3:'))).toBe(false);
  });

  test('UserParameters stay small, whatever the size of the shop', () => {
    const big = synthPipeline({ environment: 'production', services: demoServices(50) }).template;
    const raw = actionOf(big, 'Please_approve', 'Prepare_versions').Configuration.UserParameters;
    // S3 bucket name resolves to at most 63 characters; its token is counted as such.
    const length = arnText(raw).replace(/<[^>]+>/g, 'x'.repeat(63)).length;
    expect(length).toBeLessThan(400);
  });
});

test('S3 source: the handler may read the source object version (its commit metadata) and nothing else in the bucket', () => {
  const { template } = synthPipeline();
  const statements = statementsOfFunction(template, functionOf(template, 'Please_approve', 'Prepare_versions'));
  const s3 = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
  expect(s3).toEqual([expect.objectContaining({ Action: 's3:GetObjectVersion' })]);
  expect(arnText(s3[0].Resource).endsWith('/source.zip')).toBe(true);
});

test('approval is off by default outside production, and the stage keeps its version action', () => {
  const { template } = synthPipeline({ environment: 'staging' });
  expect(actionNames(template)).toEqual(['Prepare_versions', 'Release_diff']);
  expect(template.findResources('AWS::SNS::Topic')).toEqual({});
});

test('approval can be forced on (staging, shorter timeout) and off (production)', () => {
  const on = synthPipeline({ environment: 'staging', approval: { enabled: true, timeout: Duration.hours(4) } }).template;
  expect(actionNames(on)).toEqual(['Prepare_versions', 'Release_diff', 'Please_approve']);
  expect(actionOf(on, 'Please_approve', 'Please_approve').TimeoutInMinutes).toBe(240);
  const off = synthPipeline({ environment: 'production', approval: { enabled: false } }).template;
  expect(actionNames(off)).toEqual(['Prepare_versions', 'Release_diff']);
});

test('approval props are validated: every problem at once', () => {
  expect(() => synthPipeline({ approval: { emails: ['ops@example.com', 'not-an-address'], timeout: Duration.days(61) } })).toThrow(
    /approval\.timeout: must be between 5 minutes and 60 days, in whole minutes[\s\S]*approval\.emails\[1\]: 'not-an-address' is not an e-mail address/,
  );
});

describe('version parameters', () => {
  const { template } = synthPipeline({ environment: 'production' });
  const parameters = Object.values(template.findResources('Custom::SprykerVersionParameter')) as Cfn[];

  test('SCCOS names and initial values, created only when absent, never rewritten by a stack update', () => {
    const creates = parameters.map((p) => JSON.parse(p.Properties.Create));
    expect(creates.map((c) => [c.parameters.Name, c.parameters.Value])).toEqual([
      ['/production/desired_version', 'latest'],
      ['/production/lastbuildversion', 'none'],
      ['/production/lastdeployedversion', 'none'],
    ]);
    for (const create of creates) {
      expect(create).toMatchObject({ service: 'SSM', action: 'PutParameter', ignoreErrorCodesMatching: 'ParameterAlreadyExists' });
      expect(create.parameters.Overwrite).toBe(false);
    }
    for (const p of parameters) {
      expect(p.Properties.Update).toBeUndefined();
      expect(p.Properties.Delete).toBeUndefined();
    }
    // No AWS::SSM::Parameter: its update handler would put the template value again.
    const ssmParameters = Object.values(template.findResources('AWS::SSM::Parameter')) as Cfn[];
    expect(ssmParameters.map((p) => p.Properties.Name)).not.toEqual(expect.arrayContaining(['/production/desired_version']));
  });

  test('the custom resource may only create those three parameters', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Cfn[];
    const statements = policies.filter((p) => JSON.stringify(p).includes('"ssm:PutParameter"') && p.Properties.PolicyName.includes('CustomResourcePolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((s) => arnText(s.Resource)).sort()).toEqual([
      'arn:aws:ssm:eu-central-1:111122223333:parameter/production/desired_version',
      'arn:aws:ssm:eu-central-1:111122223333:parameter/production/lastbuildversion',
      'arn:aws:ssm:eu-central-1:111122223333:parameter/production/lastdeployedversion',
    ]);
  });
});
