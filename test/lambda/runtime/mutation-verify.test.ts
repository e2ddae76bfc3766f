/**
 * corroborate() and parseFunction() at their edges (mutation testing showed these unpinned):
 * each check alone, the data a step gets from CodePipeline's answer only, and the ARN forms.
 */
import type { JobDetails } from '@aws-sdk/client-codepipeline';
import type { CodePipelineEvent } from 'aws-lambda';
import { corroborate, parseFunction, type Identity } from '../../../lambda/runtime/verify';
import { jobDetails, jobEvent, type JobOptions } from '../../fakes/job';

const ME: Identity = { functionName: 'step', accountId: '123456789012', pipelines: ['production-deploy'] };
const JOB: JobOptions = { id: 'j-1', params: { a: 1 }, inputs: [{ name: 'Release', bucket: 'b', key: 'k' }], outputs: [{ name: 'Out', bucket: 'b', key: 'o' }] };
const details = (change: (d: any) => void = () => undefined, o: JobOptions = JOB): JobDetails => {
  const d = structuredClone(jobDetails(o)) as any;
  change(d);
  return d as JobDetails;
};
const event = (change: (e: any) => void = () => undefined, o: JobOptions = JOB): CodePipelineEvent => {
  const e = structuredClone(jobEvent(o)) as any;
  change(e);
  return e;
};
const refused = (d: JobDetails | undefined, e: CodePipelineEvent = event(), me: Identity = ME) => {
  const out = corroborate(e, d, me);
  return 'refused' in out ? out.refused : undefined;
};
const accepted = (d: JobDetails, e: CodePipelineEvent = event()) => {
  const out = corroborate(e, d, ME);
  if ('refused' in out) throw new Error(`refused: ${out.refused}`);
  return out;
};

describe('parseFunction', () => {
  test.each([
    ['arn:aws:lambda:eu-central-1:123456789012:function:step', { name: 'step', account: '123456789012' }],
    ['arn:aws-cn:lambda:cn-north-1:123456789012:function:step:live', { name: 'step', account: '123456789012' }],
    ['arn:aws:lambda::123456789012:function:step', { name: 'step', account: '123456789012' }],
    ['step:live', { name: 'step' }],
    ['step', { name: 'step' }],
    ['', { name: '' }],
    // Not a Lambda function ARN: only its first part is a name (which matches no function).
    ['xarn:aws:lambda:eu-central-1:123456789012:function:step', { name: 'xarn' }],
    ['arn:aws:lambda:eu-central-1:12345678901:function:step', { name: 'arn' }],
    ['arn:aws:lambda:eu-central-1:1234567890123:function:step', { name: 'arn' }],
    ['arn:aws:lambda:eu-central-1:12345678901x:function:step', { name: 'arn' }],
    ['arn::lambda:eu-central-1:123456789012:function:step', { name: 'arn' }],
    ['arn:aws:s3:eu-central-1:123456789012:function:step', { name: 'arn' }],
    ['arn:aws:lambda:eu-central-1:123456789012:layer:step', { name: 'arn' }],
    ['arn:aws:lambda:eu-central-1:123456789012:function:', { name: 'arn' }],
    ['arn:aws:lambda:eu:west:123456789012:function:step', { name: 'arn' }],
  ])('%s', (ref, expected) => {
    expect(parseFunction(ref)).toEqual(expected);
  });
});

describe('corroborate: each check alone', () => {
  test('the data a step reads comes from CodePipeline: fresh credentials, token, encryption key', () => {
    const d = details((x) => {
      x.data.artifactCredentials = { accessKeyId: 'FRESH', secretAccessKey: 'S', sessionToken: 'T' };
      x.data.continuationToken = 'tok';
      x.data.encryptionKey = { id: 'arn:aws:kms:eu-central-1:123456789012:key/k', type: 'KMS' };
    });
    expect(accepted(d, event((e) => (e['CodePipeline.job'].data.continuationToken = 'tok')))).toEqual({
      job: { id: 'j-1', pipelineName: 'production-deploy', pipelineExecutionId: 'pe-j-1', stageName: 'Stage', actionName: 'Action', actionExecutionId: 'ae-j-1' },
      data: {
        actionConfiguration: { configuration: { FunctionName: 'step', UserParameters: '{"a":1}' } },
        inputArtifacts: d.data!.inputArtifacts,
        outputArtifacts: d.data!.outputArtifacts,
        artifactCredentials: { accessKeyId: 'FRESH', secretAccessKey: 'S', sessionToken: 'T', expirationTime: 0 },
        continuationToken: 'tok',
        encryptionKey: { id: 'arn:aws:kms:eu-central-1:123456789012:key/k', type: 'KMS' },
      },
    });
  });

  test('what CodePipeline leaves out stays out (or empty): no token, key, credentials, action execution, UserParameters, artifacts', () => {
    const d = details((x) => {
      delete x.data.artifactCredentials;
      delete x.data.pipelineContext.action.actionExecutionId;
      delete x.data.actionConfiguration.configuration.UserParameters;
      delete x.data.inputArtifacts;
      delete x.data.outputArtifacts;
      x.data.encryptionKey = { type: 'KMS' };
    });
    const e = event((x) => {
      delete x['CodePipeline.job'].data.actionConfiguration.configuration.UserParameters;
      delete x['CodePipeline.job'].data.inputArtifacts;
      delete x['CodePipeline.job'].data.outputArtifacts;
    });
    expect(accepted(d, e)).toEqual({
      job: { id: 'j-1', pipelineName: 'production-deploy', pipelineExecutionId: 'pe-j-1', stageName: 'Stage', actionName: 'Action' },
      data: {
        actionConfiguration: { configuration: { FunctionName: 'step', UserParameters: '' } },
        inputArtifacts: [],
        outputArtifacts: [],
        artifactCredentials: { accessKeyId: '', secretAccessKey: '', sessionToken: '', expirationTime: 0 },
      },
    });
    // Empty UserParameters in the event match absent ones at CodePipeline.
    expect(refused(d, event((x) => (x['CodePipeline.job'].data.actionConfiguration.configuration.UserParameters = ''), { ...JOB, inputs: [], outputs: [] }))).toBeUndefined();
  });

  test('a job without a pipeline ARN is judged by its name alone', () => {
    expect(refused(details((x) => delete x.data.pipelineContext.pipelineArn))).toBeUndefined();
  });

  test('no event, or an event without a job', () => {
    expect(corroborate(undefined as unknown as CodePipelineEvent, details(), ME)).toEqual({ refused: 'CodePipeline answered for job j-1' });
    expect(refused(details(), {} as CodePipelineEvent)).toBe('CodePipeline answered for job j-1');
  });

  test('CodePipeline answers without an id (and the event has none either)', () => {
    expect(refused(details((x) => (x.id = '')), event((x) => (x['CodePipeline.job'].id = '')))).toBe('CodePipeline answered for job ');
  });

  test('a job without data', () => {
    expect(refused(details((x) => delete x.data))).toBe("job of pipeline (none), not one of this environment's (production-deploy)");
    expect(refused(details(), event(), { ...ME, pipelines: [] })).toBe("job of pipeline production-deploy, not one of this environment's (none configured)");
    expect(refused(details((x) => (x.data.pipelineContext.pipelineName = '')), event(), { ...ME, pipelines: [''] })).toMatch(/^job of pipeline  ?, not one/);
  });

  test.each<[string, (d: any) => void, string]>([
    ['no action type', (d) => delete d.data.actionTypeId, 'action type undefined/undefined/undefined is not a Lambda invoke action'],
    ['another category', (d) => (d.data.actionTypeId.category = 'Build'), 'action type AWS/Build/Lambda is not a Lambda invoke action'],
    ['another provider', (d) => (d.data.actionTypeId.provider = 'StepFunctions'), 'action type AWS/Invoke/StepFunctions is not a Lambda invoke action'],
    ['no function', (d) => delete d.data.actionConfiguration.configuration.FunctionName, 'the action invokes (no function), not this function (step)'],
    ['no configuration', (d) => delete d.data.actionConfiguration, 'the action invokes (no function), not this function (step)'],
    ['no action', (d) => delete d.data.pipelineContext.action, 'CodePipeline gave no pipeline execution, stage or action for the job'],
    ['an action without a name', (d) => (d.data.pipelineContext.action.name = ''), 'CodePipeline gave no pipeline execution, stage or action for the job'],
    ['a stage without a name', (d) => (d.data.pipelineContext.stage = {}), 'CodePipeline gave no pipeline execution, stage or action for the job'],
    ['another input artifact name', (d) => (d.data.inputArtifacts[0].name = 'Other'), "the event's input artifacts differ from the job CodePipeline holds"],
    ['another input bucket', (d) => (d.data.inputArtifacts[0].location.s3Location.bucketName = 'other'), "the event's input artifacts differ from the job CodePipeline holds"],
    ['another output key', (d) => (d.data.outputArtifacts[0].location.s3Location.objectKey = 'other'), "the event's output artifacts differ from the job CodePipeline holds"],
    ['an artifact without a location', (d) => delete d.data.outputArtifacts[0].location, "the event's output artifacts differ from the job CodePipeline holds"],
    [
      'everything differs at once',
      (d) => {
        d.data.actionConfiguration.configuration.UserParameters = '{}';
        d.data.inputArtifacts = [];
        d.data.outputArtifacts = [];
        d.data.continuationToken = 'x';
      },
      "the event's UserParameters, input artifacts, output artifacts, continuation token differ from the job CodePipeline holds",
    ],
  ])('refused: %s', (_what, change, reason) => {
    expect(refused(details(change))).toBe(reason);
  });

  test('the function in this account by ARN is this function; by plain name too', () => {
    expect(refused(details((d) => (d.data.actionConfiguration.configuration.FunctionName = 'arn:aws:lambda:eu-central-1:123456789012:function:step')))).toBeUndefined();
    expect(refused(details((d) => (d.data.actionConfiguration.configuration.FunctionName = 'arn:aws:lambda:eu-central-1:123456789012:function:other')))).toBe(
      'the action invokes arn:aws:lambda:eu-central-1:123456789012:function:other, not this function (step)',
    );
  });

  test('an event token CodePipeline does not hold', () => {
    expect(refused(details(), event((x) => (x['CodePipeline.job'].data.continuationToken = 'forged')))).toBe("the event's continuation token differ from the job CodePipeline holds");
  });
});

describe('corroborate: an event missing parts is compared, never a crash', () => {
  const bare: JobOptions = { id: 'j-1', params: '' };

  test('an event without data matches a job without parameters, artifacts or token (the step reads CodePipeline\'s data)', () => {
    const out = corroborate({ 'CodePipeline.job': { id: 'j-1' } } as CodePipelineEvent, details(undefined, bare), ME);
    expect(out).toMatchObject({ job: { id: 'j-1' }, data: { actionConfiguration: { configuration: { FunctionName: 'step', UserParameters: '' } } } });
  });

  test('an event whose action configuration has no configuration', () => {
    const e = event((x) => (x['CodePipeline.job'].data.actionConfiguration = {}), bare);
    expect(refused(details(undefined, bare), e)).toBeUndefined();
    expect(refused(details(undefined, JOB), event((x) => (x['CodePipeline.job'].data.actionConfiguration = {})))).toBe("the event's UserParameters differ from the job CodePipeline holds");
  });

  test('artifacts whose location has no S3 location compare by name', () => {
    const noS3 = (x: any) => (x.location = { type: 'S3' });
    expect(refused(details((d) => noS3(d.data.inputArtifacts[0])), event((e) => noS3(e['CodePipeline.job'].data.inputArtifacts[0])))).toBeUndefined();
    expect(refused(details((d) => noS3(d.data.outputArtifacts[0])), event((e) => noS3(e['CodePipeline.job'].data.outputArtifacts[0])))).toBeUndefined();
    expect(refused(details((d) => noS3(d.data.inputArtifacts[0])))).toBe("the event's input artifacts differ from the job CodePipeline holds");
  });
});
