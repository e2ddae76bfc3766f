/** The step table and what every step handler gets for the job runtime: the table (only), the pipelines, GetJobDetails. */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SprykerDestructivePipeline, SprykerPipeline, SprykerRolloutSchedulerPipeline } from '../../lib';
import { actionsOf, baseProps, testApp } from './helpers';

type Cfn = Record<string, any>;

function environment() {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const normal = new SprykerPipeline(stack, 'Pipeline', baseProps());
  // Companions come after the handlers were created: their names must still reach every handler.
  new SprykerDestructivePipeline(stack, 'Destructive', { pipeline: normal });
  new SprykerRolloutSchedulerPipeline(stack, 'RolloutScheduler', { pipeline: normal, pipelineName: 'staging-scheduler-only' });
  return Template.fromStack(stack);
}

const template = environment();
const resources = template.toJSON().Resources as Record<string, Cfn>;
// The step table; the environment's other table is the release history (test/stages/update-deployed-version.test.ts).
const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table' && !r.Properties.TableName?.endsWith('-release-history'));
const stepFunctions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.STEP_TABLE);
const statementsOf = (fn: Cfn): Cfn[] => {
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((p) => p.Type === 'AWS::IAM::Policy' && p.Properties.Roles.some((r: Cfn) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
};

test('one step table per environment: on-demand, TTL on `expiration`, encrypted, point-in-time recovery, key `id`', () => {
  expect(tables).toHaveLength(1);
  const [, table] = tables[0];
  expect(table.Properties).toMatchObject({
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    SSESpecification: { SSEEnabled: true },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  });
  // Short-lived records only (2 days): nothing to keep once the stack is gone.
  expect(table.DeletionPolicy).toBe('Delete');
});

test('every Lambda function of the pipelines is a step handler with the table and the names of all the environment\'s pipelines', () => {
  // StepHandler's functions (arm64, Node.js 24); aws-cdk-lib's own custom-resource handlers are not step handlers.
  const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'nodejs24.x' && r.Properties.Architectures?.[0] === 'arm64');
  expect(stepFunctions.length).toBeGreaterThanOrEqual(8);
  expect(stepFunctions).toHaveLength(functions.length);
  for (const [, fn] of stepFunctions) {
    expect(fn.Properties.Environment.Variables.STEP_TABLE).toEqual({ Ref: tables[0][0] });
    expect(fn.Properties.Environment.Variables.STEP_PIPELINES).toBe('staging-deploy,staging-destructive,staging-scheduler-only');
  }
});

test('grants: item read/write on the step table only, and codepipeline:GetJobDetails (no resource-level permission exists)', () => {
  const tableArn = { 'Fn::GetAtt': [tables[0][0], 'Arn'] };
  for (const [, fn] of stepFunctions) {
    const statements = statementsOf(fn);
    // UpdateDeployedVersion's release-history grant is its own (and tested there).
    const dynamo = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')) && !JSON.stringify(s.Resource).includes('ReleaseHistory'));
    expect(dynamo).toEqual([{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: tableArn }]);
    const jobDetails = statements.filter((s) => actionsOf([s]).includes('codepipeline:GetJobDetails'));
    expect(jobDetails).toEqual([{ Effect: 'Allow', Action: 'codepipeline:GetJobDetails', Resource: '*' }]);
  }
});
