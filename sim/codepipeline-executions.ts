/**
 * GetPipelineExecution on the fake CodePipeline: an execution exists once a job of it was issued;
 * its status follows its action executions (any failed: Failed; any running: InProgress; any
 * abandoned: Stopped; else Succeeded) unless a test sets it (a stopped, a rollback execution, the
 * source revision's time). PipelineExecution as in the API reference: pipelineName,
 * pipelineExecutionId, status, executionType, artifactRevisions[{name, revisionId, created}].
 */
export interface ExecutionOverride {
  readonly status?: 'Cancelled' | 'InProgress' | 'Stopped' | 'Stopping' | 'Succeeded' | 'Superseded' | 'Failed';
  readonly executionType?: 'STANDARD' | 'ROLLBACK';
  /** The source revisions; `created` in epoch milliseconds. */
  readonly artifactRevisions?: { readonly name: string; readonly revisionId: string; readonly created: number }[];
}

type ActionStatus = string;

export class FakeExecutions {
  /** By execution id. */
  readonly overrides = new Map<string, ExecutionOverride>();

  /** `actions` answers as ListActionExecutions does (and throws as it does for an unknown pipeline or execution). */
  constructor(private readonly actions: (pipeline: string, executionId: string) => { actionExecutionDetails: { status: ActionStatus }[] }) {}

  get(b: { pipelineName: string; pipelineExecutionId: string }) {
    const statuses = this.actions(b.pipelineName, b.pipelineExecutionId).actionExecutionDetails.map((d) => d.status);
    const derived = statuses.includes('Failed') ? 'Failed' : statuses.includes('InProgress') ? 'InProgress' : statuses.includes('Abandoned') ? 'Stopped' : 'Succeeded';
    const o = this.overrides.get(b.pipelineExecutionId) ?? {};
    return {
      pipelineExecution: {
        pipelineName: b.pipelineName,
        pipelineVersion: 1,
        pipelineExecutionId: b.pipelineExecutionId,
        status: o.status ?? derived,
        executionMode: 'QUEUED',
        executionType: o.executionType ?? 'STANDARD',
        artifactRevisions: (o.artifactRevisions ?? []).map((r) => ({ ...r, created: r.created / 1000 })),
      },
    };
  }
}
