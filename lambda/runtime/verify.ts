/**
 * Job corroboration: a step acts only on a job CodePipeline issued for an action of one of its
 * own environment's pipelines, invoking this very function, and with what CodePipeline holds for
 * the job (configuration, artifacts, credentials, continuation token), never the event's own.
 *
 * Source of truth: CodePipeline GetJobDetails (API reference: JobDetails {id, accountId, data:
 * JobData}; JobData {actionTypeId, actionConfiguration.configuration, pipelineContext
 * {pipelineName, stage.name, action.name, action.actionExecutionId, pipelineArn,
 * pipelineExecutionId}, inputArtifacts, outputArtifacts, artifactCredentials, continuationToken,
 * encryptionKey}). It is the only CodePipeline call that takes a job id; ListActionExecutions and
 * GetPipelineState describe action executions but name no job.
 */
import type { JobDetails } from '@aws-sdk/client-codepipeline';
import type { CodePipelineEvent } from 'aws-lambda';

type EventJob = CodePipelineEvent['CodePipeline.job'];
export type JobData = EventJob['data'];

/** The pipeline context of a corroborated job, as CodePipeline gave it (`ctx.job`). */
export interface VerifiedJob {
  readonly id: string;
  readonly pipelineName: string;
  readonly pipelineExecutionId: string;
  readonly stageName: string;
  readonly actionName: string;
  readonly actionExecutionId?: string;
}

/** Who this invocation is: from the Lambda context and the environment the stack set. */
export interface Identity {
  readonly functionName: string;
  readonly accountId: string;
  /** The environment's own pipelines (STEP_PIPELINES). */
  readonly pipelines: readonly string[];
}

export type Corroboration = { readonly job: VerifiedJob; readonly data: JobData } | { readonly refused: string };

/** `name`, `name:qualifier`, or `arn:aws:lambda:region:account:function:name[:qualifier]` → name (and account). */
export function parseFunction(ref: string): { name: string; account?: string } {
  // Stryker disable next-line Regex: without `$` the same: the greedy name stops only at ':' or the end, and `(?::.*)?` takes any rest
  const arn = /^arn:[^:]+:lambda:[^:]*:(\d{12}):function:([^:]+)(?::.*)?$/.exec(ref);
  if (arn) return { name: arn[2], account: arn[1] };
  return { name: ref.split(':')[0] };
}

const artifactsOf = (list: readonly { name?: string; location?: { s3Location?: { bucketName?: string; objectKey?: string } } }[] | undefined) =>
  JSON.stringify((list ?? []).map((a) => [a.name, a.location?.s3Location?.bucketName, a.location?.s3Location?.objectKey]));

/** Compares the event with the job CodePipeline holds; the first problem found refuses it. */
export function corroborate(event: CodePipelineEvent, details: JobDetails | undefined, me: Identity): Corroboration {
  const claimed: Partial<EventJob> = event?.['CodePipeline.job'] ?? {};
  if (!details) return { refused: 'unknown job' };
  const data = details.data ?? {};
  const context = data.pipelineContext ?? {};
  const config = data.actionConfiguration?.configuration ?? {};
  if (!details.id || details.id !== claimed.id) return { refused: `CodePipeline answered for job ${details.id}` };
  if (details.accountId !== me.accountId) return { refused: `job of account ${details.accountId}, this function runs in ${me.accountId}` };
  if (!context.pipelineName || !me.pipelines.includes(context.pipelineName)) {
    return { refused: `job of pipeline ${context.pipelineName ?? '(none)'}, not one of this environment's (${me.pipelines.join(', ') || 'none configured'})` };
  }
  // arn:aws:codepipeline:<region>:<account>:<pipeline>
  if (context.pipelineArn && context.pipelineArn.split(':')[4] !== me.accountId) {
    return { refused: `pipeline ARN ${context.pipelineArn} is not of account ${me.accountId}` };
  }
  const type = data.actionTypeId;
  if (type?.category !== 'Invoke' || type.owner !== 'AWS' || type.provider !== 'Lambda') {
    return { refused: `action type ${type?.owner}/${type?.category}/${type?.provider} is not a Lambda invoke action` };
  }
  // Stryker disable next-line StringLiteral: any other fallback names no function either (identityOf requires a non-empty name)
  const fn = parseFunction(config.FunctionName ?? '');
  if (fn.name !== me.functionName || (fn.account !== undefined && fn.account !== me.accountId)) {
    return { refused: `the action invokes ${config.FunctionName ?? '(no function)'}, not this function (${me.functionName})` };
  }
  if (!context.pipelineExecutionId || !context.stage?.name || !context.action?.name) {
    return { refused: 'CodePipeline gave no pipeline execution, stage or action for the job' };
  }
  const mine = claimed.data;
  const differs = [
    (mine?.actionConfiguration?.configuration?.UserParameters ?? '') !== (config.UserParameters ?? '') && 'UserParameters',
    artifactsOf(mine?.inputArtifacts) !== artifactsOf(data.inputArtifacts) && 'input artifacts',
    artifactsOf(mine?.outputArtifacts) !== artifactsOf(data.outputArtifacts) && 'output artifacts',
    (mine?.continuationToken ?? '') !== (data.continuationToken ?? '') && 'continuation token',
  ].filter(Boolean);
  if (differs.length) return { refused: `the event's ${differs.join(', ')} differ from the job CodePipeline holds` };
  const credentials = data.artifactCredentials;
  return {
    job: {
      id: details.id!,
      pipelineName: context.pipelineName,
      pipelineExecutionId: context.pipelineExecutionId,
      stageName: context.stage.name,
      actionName: context.action.name,
      ...(context.action.actionExecutionId ? { actionExecutionId: context.action.actionExecutionId } : {}),
    },
    // The shape steps read (the Lambda event's), filled from CodePipeline's answer only.
    data: {
      actionConfiguration: { configuration: { FunctionName: config.FunctionName!, UserParameters: config.UserParameters ?? '' } },
      inputArtifacts: (data.inputArtifacts ?? []) as JobData['inputArtifacts'],
      outputArtifacts: (data.outputArtifacts ?? []) as JobData['outputArtifacts'],
      artifactCredentials: {
        accessKeyId: credentials?.accessKeyId ?? '',
        secretAccessKey: credentials?.secretAccessKey ?? '',
        sessionToken: credentials?.sessionToken ?? '',
        expirationTime: 0,
      },
      ...(data.continuationToken ? { continuationToken: data.continuationToken } : {}),
      ...(data.encryptionKey?.id ? { encryptionKey: { id: data.encryptionKey.id, type: data.encryptionKey.type as 'KMS' } } : {}),
    } as JobData,
  };
}
