import type { CodePipelineEvent } from 'aws-lambda';

export const SECRET_ACCESS_KEY = 'artifact-secret-never-logged';

export interface JobOptions {
  readonly id?: string;
  readonly params: unknown;
  readonly continuationToken?: string;
  readonly inputs?: { name: string; bucket: string; key: string }[];
  readonly outputs?: { name: string; bucket: string; key: string }[];
}

/** A CodePipeline job event as Lambda receives it. */
export function jobEvent(o: JobOptions): CodePipelineEvent {
  const artifact = (a: { name: string; bucket: string; key: string }) => ({
    name: a.name,
    revision: null,
    location: { type: 'S3' as const, s3Location: { bucketName: a.bucket, objectKey: a.key } },
  });
  return {
    'CodePipeline.job': {
      id: o.id ?? '11111111-2222-3333-4444-555555555555',
      accountId: '123456789012',
      data: {
        actionConfiguration: {
          configuration: {
            FunctionName: 'step',
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
