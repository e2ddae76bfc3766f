/** UpdateDeployedVersion's template: the release-history table, least-privilege grants, the bucket lifecycle. */
import type { UpdateDeployedVersionParams } from '../../lib/contracts/params';
import { NONCURRENT_VERSION_DAYS } from '../../lib/retention';
import { actionOf, arnText, functionOf, statementsOfFunction, synthPipeline, userParametersOf } from '../infra/helpers';

type Cfn = Record<string, any>;
const { template } = synthPipeline();

test('one release-history table: env + version keys, a KEYS_ONLY deployedAt index, on demand, point-in-time recovery, retained', () => {
  // The other table is the environment's step table (the job runtime's records: test/infra/step-table.test.ts).
  const tables = (Object.values(template.findResources('AWS::DynamoDB::Table')) as Cfn[]).filter((t) => t.Properties.TableName);
  expect(tables).toHaveLength(1);
  expect(tables[0].DeletionPolicy).toBe('Retain');
  expect(tables[0].Properties).toMatchObject({
    TableName: 'staging-spryker-release-history',
    KeySchema: [{ AttributeName: 'env', KeyType: 'HASH' }, { AttributeName: 'version', KeyType: 'RANGE' }],
    BillingMode: 'PAY_PER_REQUEST',
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    LocalSecondaryIndexes: [{ IndexName: 'deployedAt', KeySchema: [{ AttributeName: 'env', KeyType: 'HASH' }, { AttributeName: 'deployedAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
  });
});

test('UserParameters name the table, the kept count and both input artifacts; no SSM release parameter any more', () => {
  const params = userParametersOf(template, 'UpdateDeployedVersion') as UpdateDeployedVersionParams;
  expect(params).toEqual({
    parameter: '/staging/lastdeployedversion',
    releaseTable: 'staging-spryker-release-history',
    keepReleases: 100,
    keptTagPrefix: 'kept-',
    releaseArtifact: 'Release',
    imagesArtifact: 'Images',
  });
  expect(actionOf(template, 'UpdateDeployedVersion').InputArtifacts).toEqual([{ Name: 'Release' }, { Name: 'Images' }]);
  expect(userParametersOf(synthPipeline({ releaseHistory: 365 }).template, 'UpdateDeployedVersion').keepReleases).toBe(365);
});

test('IAM: DynamoDB items of the history table only; ECR get/put/untag on the environment repositories only; SSM on lastdeployedversion only', () => {
  const statements = statementsOfFunction(template, functionOf(template, 'UpdateDeployedVersion')).filter((s) => !String(s.Action).startsWith('logs:'));
  const byService = (prefix: string) => statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith(prefix)));
  // Besides every step handler's item access to the step table.
  const history = Object.entries(template.findResources('AWS::DynamoDB::Table')).find(([, t]) => (t as Cfn).Properties.TableName)![0];
  const ddbs = byService('dynamodb:').filter((s) => JSON.stringify(s.Resource).includes(history));
  expect(ddbs).toHaveLength(1);
  const [ddb] = ddbs;
  expect([ddb.Action].flat().sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query']);
  const table = history;
  expect([ddb.Resource].flat().map(arnText)).toEqual([JSON.stringify({ 'Fn::GetAtt': [table, 'Arn'] }), `${JSON.stringify({ 'Fn::GetAtt': [table, 'Arn'] })}/index/deployedAt`]);
  const [ecr] = byService('ecr:');
  expect([ecr.Action].flat().sort()).toEqual(['ecr:BatchDeleteImage', 'ecr:BatchGetImage', 'ecr:PutImage']);
  expect([ecr.Resource].flat()).toHaveLength(5);
  for (const r of [ecr.Resource].flat()) expect(JSON.stringify(r)).toMatch(/PipelineBuildAndPrepareImages/);
  const [ssm] = byService('ssm:');
  expect([ssm.Action].flat().sort()).toEqual(['ssm:GetParameter', 'ssm:PutParameter']);
  expect([ssm.Resource].flat().map(arnText)).toEqual([expect.stringMatching(/:parameter\/staging\/lastdeployedversion$/)]);
  expect(statements.some((s) => [s.Action].flat().includes('ssm:LabelParameterVersion'))).toBe(false);
});

test('both versioned buckets expire replaced versions and unfinished uploads; current objects stay (stage rollback reads them)', () => {
  const buckets = Object.values(template.findResources('AWS::S3::Bucket')) as Cfn[];
  const versioned = buckets.filter((b) => b.Properties.VersioningConfiguration?.Status === 'Enabled');
  expect(versioned).toHaveLength(2);
  for (const bucket of versioned) {
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      {
        Id: 'expire-replaced-versions',
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS, NewerNoncurrentVersions: 10 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
    ]);
  }
});

test('releaseHistory is validated, naming the prop', () => {
  expect(() => synthPipeline({ releaseHistory: 1 })).toThrow(/releaseHistory: 1 is not allowed: keep 2 to 10000 releases/);
  expect(() => synthPipeline({ releaseHistory: 2.5 })).toThrow(/releaseHistory: 2\.5 is not allowed/);
});
