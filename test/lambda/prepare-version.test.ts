import { CodePipelineClient, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import type { CodePipelineEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../lambda/prepare-version';
import type { PrepareVersionParams } from '../../lib/contracts/params';
import { mockedRuntime } from '../fakes/mock-runtime';

const SOURCE = '3f2a9c1d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const PINNED = '9b07e44aa1b2c3d4e5f60718293a4b5c6d7e8f90';
const DESIRED = '/production/desired_version';
const LAST = '/production/lastdeployedversion';

const codepipeline = mockClient(CodePipelineClient);
const ssm = mockClient(SSMClient);
const s3 = mockClient(S3Client);

const runtime = mockedRuntime(codepipeline);

function event(params: Partial<PrepareVersionParams> = {}): CodePipelineEvent {
  return runtime.event({ id: 'job-1', params: { sourceVersion: SOURCE, desiredVersionParameter: DESIRED, lastDeployedVersionParameter: LAST, ...params } });
}

function parameters(values: Record<string, string | undefined>) {
  ssm.on(GetParameterCommand).callsFake(async ({ Name }: { Name: string }) => {
    const value = values[Name];
    if (value === undefined) throw new ParameterNotFound({ message: `${Name} not found`, $metadata: {} });
    return { Parameter: { Name, Value: value } };
  });
}

async function run(params: Partial<PrepareVersionParams> = {}) {
  await createHandler({ ...runtime.deps, ssm: new SSMClient({}), s3: new S3Client({}) })(event(params), {
    getRemainingTimeInMillis: () => 60_000,
  });
  const success = codepipeline.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input;
  const failure = codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input;
  expect(codepipeline.commandCalls(PutJobSuccessResultCommand).length + codepipeline.commandCalls(PutJobFailureResultCommand).length).toBe(1); // exactly one result per invocation
  return { variables: success?.outputVariables, summary: success?.executionDetails?.summary, failure: failure?.failureDetails };
}

beforeEach(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  codepipeline.reset();
  ssm.reset();
  s3.reset();
});

test('latest deploys the source commit and reports the last deployed version', async () => {
  parameters({ [DESIRED]: 'latest', [LAST]: PINNED });
  const { variables, summary } = await run();
  expect(variables).toEqual({ VERSION: SOURCE, LAST_DEPLOYED_VERSION: PINNED, SOURCE_VERSION: SOURCE });
  expect(summary).toContain('the source commit');
});

test('a pinned hash deploys that commit (rollback), normalised to lower case', async () => {
  parameters({ [DESIRED]: ` ${PINNED.toUpperCase()}\n`, [LAST]: SOURCE });
  const { variables, summary } = await run();
  expect(variables).toEqual({ VERSION: PINNED, LAST_DEPLOYED_VERSION: SOURCE, SOURCE_VERSION: SOURCE });
  expect(summary).toContain(`pinned by ${DESIRED}`);
});

test('no lastdeployedversion parameter (first deployment) reads as none', async () => {
  parameters({ [DESIRED]: 'latest' });
  const { variables } = await run();
  expect(variables?.LAST_DEPLOYED_VERSION).toBe('none');
});

test('a missing desired_version parameter deploys the source commit', async () => {
  parameters({ [LAST]: PINNED });
  expect((await run()).variables?.VERSION).toBe(SOURCE);
});

test('a short hash fails and says how to get the full one', async () => {
  parameters({ [DESIRED]: '9b07e44' });
  const { failure, variables } = await run();
  expect(variables).toBeUndefined();
  expect(failure?.type).toBe('JobFailed');
  expect(failure?.message).toContain(`${DESIRED} is '9b07e44', a short commit hash`);
  expect(failure?.message).toContain('git rev-parse 9b07e44');
});

test('a value that is not a hash fails naming the parameter', async () => {
  parameters({ [DESIRED]: 'release-2024' });
  const { failure } = await run();
  expect(failure?.message).toBe(`${DESIRED} is 'release-2024', which is neither 'latest' nor a commit hash: set it to 'latest' or to the full hash of the commit to deploy`);
});

test('a source revision that is not a commit fails', async () => {
  parameters({ [DESIRED]: 'latest' });
  const { failure } = await run({ sourceVersion: 'not-a-commit' });
  expect(failure?.message).toContain("the source revision 'not-a-commit' is not a commit hash");
});

test('S3 source: the commit comes from the object version metadata', async () => {
  parameters({ [DESIRED]: 'latest' });
  s3.on(HeadObjectCommand, { Bucket: 'src', Key: 'source.zip', VersionId: 'v+1' }).resolves({ Metadata: { commit: SOURCE } });
  const { variables } = await run({ sourceVersion: 'v+1', sourceObject: { bucket: 'src', key: 'source.zip' } });
  expect(variables?.VERSION).toBe(SOURCE);
  expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(1);
});

test('S3 source without commit metadata fails with the upload command to use', async () => {
  parameters({ [DESIRED]: 'latest' });
  s3.on(HeadObjectCommand).resolves({ Metadata: {} });
  const { failure } = await run({ sourceVersion: 'v1', sourceObject: { bucket: 'src', key: 'source.zip' } });
  expect(failure?.message).toContain("s3://src/source.zip (version v1) has no 'commit' metadata");
  expect(failure?.message).toContain('--metadata commit=$(git rev-parse HEAD)');
});

test('a denied SSM read is a permission error naming the call', async () => {
  ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not authorized to perform ssm:GetParameter'), { name: 'AccessDeniedException' }));
  const { failure } = await run();
  expect(failure?.type).toBe('PermissionError');
  expect(failure?.message).toContain('ssm:GetParameter');
});

test('invalid UserParameters are a configuration error', async () => {
  const { failure } = await run({ desiredVersionParameter: '' });
  expect(failure?.type).toBe('ConfigurationError');
  expect(failure?.message).toContain('desiredVersionParameter');
});
