/**
 * The job runtime on mocked clients (aws-sdk-client-mock), for tests that mock a step's AWS
 * calls: CodePipeline's GetJobDetails knows the jobs built through `event()` (JobNotFound for
 * any other), and the step table takes every write (no concurrency: that is tested on the fake).
 */
import { GetJobDetailsCommand, JobNotFoundException, type CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { CodePipelineEvent } from 'aws-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { RuntimeDeps } from '../../lambda/runtime/job';
import { ACCOUNT, jobDetails, jobEvent, type JobOptions } from './job';

export const MOCK_FUNCTION_ARN = `arn:aws:lambda:eu-central-1:${ACCOUNT}:function:step`;

export function mockedRuntime(codepipeline: AwsStub<any, any, any>) {
  const jobs = new Map<string, ReturnType<typeof jobDetails>>();
  const dynamodb = new DynamoDBClient({ region: 'eu-central-1' });
  mockClient(dynamodb).on(GetItemCommand).resolves({});
  const install = () =>
    codepipeline.on(GetJobDetailsCommand).callsFake(async ({ jobId }: { jobId: string }) => {
      const job = jobs.get(jobId);
      if (!job) throw new JobNotFoundException({ message: 'The job was specified in an invalid format or cannot be found.', $metadata: {} });
      return { jobDetails: job };
    });
  const deps: RuntimeDeps = {
    codepipeline: codepipeline as unknown as CodePipelineClient,
    dynamodb,
    table: 'steps',
    pipelines: ['production-deploy'],
    functionArn: MOCK_FUNCTION_ARN,
  };
  return {
    deps,
    /** A job CodePipeline issued (call after the mock's reset: it re-installs GetJobDetails). */
    event(job: JobOptions): CodePipelineEvent {
      const details = jobDetails(job);
      jobs.set(details.id, details);
      install();
      return jobEvent(job);
    },
  };
}
