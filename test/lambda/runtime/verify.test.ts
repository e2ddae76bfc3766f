/** corroborate(): each check of the event against CodePipeline's job, one at a time. */
import type { JobDetails } from '@aws-sdk/client-codepipeline';
import { corroborate, parseFunction, type Identity } from '../../../lambda/runtime/verify';
import { jobDetails, jobEvent, type JobOptions } from '../../fakes/job';

const ME: Identity = { functionName: 'step', accountId: '123456789012', pipelines: ['production-deploy', 'production-destructive'] };
const JOB: JobOptions = { id: 'j-1', params: { model: '/production/pipeline/model' }, inputs: [{ name: 'Release', bucket: 'b', key: 'k' }] };
const details = (change: (d: any) => void = () => undefined, o: JobOptions = JOB): JobDetails => {
  const d = structuredClone(jobDetails(o));
  change(d);
  return d as JobDetails;
};
const refused = (d: JobDetails | undefined, event = jobEvent(JOB)) => {
  const out = corroborate(event, d, ME);
  return 'refused' in out ? out.refused : undefined;
};

test('the genuine job: verified context and CodePipeline\'s data', () => {
  const out = corroborate(jobEvent(JOB), details((d) => (d.data.artifactCredentials.accessKeyId = 'FRESH')), ME);
  expect(out).toEqual({
    job: { id: 'j-1', pipelineName: 'production-deploy', pipelineExecutionId: 'pe-j-1', stageName: 'Stage', actionName: 'Action', actionExecutionId: 'ae-j-1' },
    data: expect.objectContaining({ artifactCredentials: expect.objectContaining({ accessKeyId: 'FRESH' }), inputArtifacts: [expect.objectContaining({ name: 'Release' })] }),
  });
});

test.each<[string, (d: any) => void, RegExp]>([
  ['another job id', (d) => (d.id = 'j-2'), /^CodePipeline answered for job j-2$/],
  ['another account', (d) => (d.accountId = '999999999999'), /^job of account 999999999999/],
  ['a foreign pipeline', (d) => (d.data.pipelineContext.pipelineName = 'evil'), /^job of pipeline evil, not one of this environment's \(production-deploy, production-destructive\)$/],
  ['no pipeline context', (d) => delete d.data.pipelineContext, /^job of pipeline \(none\)/],
  ['a pipeline ARN of another account', (d) => (d.data.pipelineContext.pipelineArn = 'arn:aws:codepipeline:eu-central-1:999999999999:production-deploy'), /^pipeline ARN .* is not of account 123456789012$/],
  ['a custom action', (d) => (d.data.actionTypeId = { category: 'Build', owner: 'Custom', provider: 'X', version: '1' }), /^action type Custom\/Build\/X is not a Lambda invoke action$/],
  ['a Lambda of another owner', (d) => (d.data.actionTypeId.owner = 'ThirdParty'), /is not a Lambda invoke action/],
  ['another function', (d) => (d.data.actionConfiguration.configuration.FunctionName = 'other'), /^the action invokes other, not this function \(step\)$/],
  ['this name in another account', (d) => (d.data.actionConfiguration.configuration.FunctionName = 'arn:aws:lambda:eu-central-1:999999999999:function:step'), /^the action invokes arn:.*999999999999:function:step, not this function/],
  ['no pipeline execution', (d) => delete d.data.pipelineContext.pipelineExecutionId, /^CodePipeline gave no pipeline execution, stage or action/],
  ['no stage', (d) => delete d.data.pipelineContext.stage, /^CodePipeline gave no pipeline execution, stage or action/],
  ['other UserParameters', (d) => (d.data.actionConfiguration.configuration.UserParameters = '{}'), /^the event's UserParameters differ/],
  ['other input artifacts', (d) => (d.data.inputArtifacts[0].location.s3Location.objectKey = 'other'), /^the event's input artifacts differ/],
  ['an output artifact more', (d) => d.data.outputArtifacts.push({ name: 'X', location: { type: 'S3', s3Location: { bucketName: 'b', objectKey: 'x' } } }), /^the event's output artifacts differ/],
  ['a token the event lacks', (d) => (d.data.continuationToken = 'abc'), /^the event's continuation token differ/],
])('refused: %s', (_what, change, reason) => {
  expect(refused(details(change))).toMatch(reason);
});

test('unknown job', () => expect(refused(undefined)).toBe('unknown job'));

test('the function may be named by ARN with a qualifier, or by name:alias', () => {
  expect(refused(details((d) => (d.data.actionConfiguration.configuration.FunctionName = 'arn:aws:lambda:eu-central-1:123456789012:function:step:live')))).toBeUndefined();
  expect(parseFunction('step:live')).toEqual({ name: 'step' });
  expect(parseFunction('arn:aws:lambda:eu-central-1:123456789012:function:step')).toEqual({ name: 'step', account: '123456789012' });
});
