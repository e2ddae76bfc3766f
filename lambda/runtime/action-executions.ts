import { ListActionExecutionsCommand, type ActionExecutionDetail, type CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { call } from './job';

/** The action executions of one pipeline execution, every page (ListActionExecutions filtered by the execution). */
export async function actionExecutions(cp: CodePipelineClient, pipeline: string, executionId: string): Promise<ActionExecutionDetail[]> {
  const details: ActionExecutionDetail[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call(
      `CodePipeline ListActionExecutions of ${pipeline} execution ${executionId}`,
      cp.send(new ListActionExecutionsCommand({ pipelineName: pipeline, filter: { pipelineExecutionId: executionId }, nextToken })),
    );
    details.push(...(page.actionExecutionDetails ?? []).filter((d) => d.pipelineExecutionId === executionId));
    nextToken = page.nextToken;
  } while (nextToken);
  return details;
}
