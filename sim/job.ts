import type { CodePipelineEvent } from 'aws-lambda';
import { ACCOUNT } from './core';

export const SECRET_ACCESS_KEY = 'artifact-secret-never-logged';

export interface JobOptions {
  readonly id?: string;
  readonly params: unknown;
  readonly continuationToken?: string;
  readonly inputs?: { name: string; bucket: string; key: string }[];
  readonly outputs?: { name: string; bucket: string; key: string }[];
  /** The job's pipeline context (FakeCodePipeline issues it). @default production-deploy */
  readonly pipeline?: string;
  /** @default 'Stage' */
  readonly stage?: string;
  /** @default 'Action' */
  readonly action?: string;
  /** @default derived from the job id */
  readonly pipelineExecutionId?: string;
  /** @default derived from the job id */
  readonly actionExecutionId?: string;
  /** The action's FunctionName. @default 'step' (the fake's function) */
  readonly functionName?: string;
  /** @default the fake's account */
  readonly accountId?: string;
}

export { ACCOUNT };
export const DEFAULT_JOB_ID = '11111111-2222-3333-4444-555555555555';

/** What CodePipeline's GetJobDetails answers for the job these options describe (JSON as on the wire). */
export function jobDetails(o: JobOptions) {
  const data = jobEvent(o)['CodePipeline.job'].data;
  const id = o.id ?? DEFAULT_JOB_ID;
  const pipelineName = o.pipeline ?? 'production-deploy';
  return {
    id,
    accountId: o.accountId ?? ACCOUNT,
    data: {
      actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' },
      actionConfiguration: data.actionConfiguration,
      pipelineContext: {
        pipelineName,
        stage: { name: o.stage ?? 'Stage' },
        action: { name: o.action ?? 'Action', actionExecutionId: o.actionExecutionId ?? `ae-${id}` },
        pipelineArn: `arn:aws:codepipeline:eu-central-1:${o.accountId ?? ACCOUNT}:${pipelineName}`,
        pipelineExecutionId: o.pipelineExecutionId ?? `pe-${id}`,
      },
      inputArtifacts: data.inputArtifacts.map((a) => ({ ...a, revision: a.revision ?? undefined })),
      outputArtifacts: data.outputArtifacts.map((a) => ({ ...a, revision: a.revision ?? undefined })),
      artifactCredentials: { accessKeyId: data.artifactCredentials.accessKeyId, secretAccessKey: data.artifactCredentials.secretAccessKey, sessionToken: data.artifactCredentials.sessionToken },
      ...(data.continuationToken ? { continuationToken: data.continuationToken } : {}),
    },
  };
}

/**
 * A CodePipeline job event as Lambda receives it. Handlers corroborate it with CodePipeline: build
 * events through the fake (`aws.event`), or register `jobDetails` on a mock; a bare jobEvent is a forgery.
 */
export function jobEvent(o: JobOptions): CodePipelineEvent {
  const artifact = (a: { name: string; bucket: string; key: string }) => ({
    name: a.name,
    revision: null,
    location: { type: 'S3' as const, s3Location: { bucketName: a.bucket, objectKey: a.key } },
  });
  return {
    'CodePipeline.job': {
      id: o.id ?? DEFAULT_JOB_ID,
      accountId: o.accountId ?? ACCOUNT,
      data: {
        actionConfiguration: {
          configuration: {
            FunctionName: o.functionName ?? 'step',
            UserParameters: typeof o.params === 'string' ? o.params : JSON.stringify(o.params),
          },
        },
        inputArtifacts: (o.inputs ?? []).map(artifact),
        outputArtifacts: (o.outputs ?? []).map(artifact),
        artifactCredentials: { accessKeyId: 'AKIAARTIFACT', secretAccessKey: SECRET_ACCESS_KEY, sessionToken: 'session-token', expirationTime: 0 },
        ...(o.continuationToken ? { continuationToken: o.continuationToken } : {}),
      },
    },
  } as CodePipelineEvent;
}
