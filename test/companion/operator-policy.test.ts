import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SprykerPipeline, SprykerPipelineOperatorPolicy } from '../../lib';
import { arnText, baseProps, testApp } from '../infra/helpers';

test('the operator policy allows desired_version and starting the pipeline, and denies every write of the control inputs', () => {
  const stack = new Stack(testApp(), 'Ops', { env: { account: '111122223333', region: 'eu-central-1' } });
  const pipeline = new SprykerPipeline(stack, 'Pipeline', baseProps());
  new SprykerPipelineOperatorPolicy(stack, 'Operators', { pipeline, managedPolicyName: 'staging-operators' });
  // The step handlers' roles have managed policies of their own (the grants naming each service): this is the one with a name.
  const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: 'staging-operators' } }));
  expect(policy.Properties.ManagedPolicyName).toBe('staging-operators');
  const bySid = Object.fromEntries((policy.Properties.PolicyDocument.Statement as any[]).map((s) => [s.Sid, s]));
  const parameter = (name: string) => `arn:aws:ssm:eu-central-1:111122223333:parameter/staging/${name}`;
  expect(bySid.DesiredVersion).toMatchObject({ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'] });
  expect(arnText(bySid.DesiredVersion.Resource)).toBe(parameter('desired_version'));
  expect(bySid.StartDeployment.Effect).toBe('Allow');
  expect(bySid.DenyControlInputs.Effect).toBe('Deny');
  expect(bySid.DenyControlInputs.Action).toEqual(expect.arrayContaining(['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:LabelParameterVersion']));
  expect(bySid.DenyControlInputs.Resource.map(arnText)).toEqual([parameter('pipeline/*'), parameter('lastdeployedversion'), parameter('lastbuildversion')]);
});
