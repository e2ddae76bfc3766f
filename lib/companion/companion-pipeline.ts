import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { Construct } from 'constructs';
import { acknowledgePipelineGrants, type SprykerPipeline } from '../spryker-pipeline';
import { SourceStage } from '../stages/source';
import { companionSource, disableSourceChangeDetection } from '../source-change';

/**
 * A short companion pipeline of an environment (Rollout_Scheduler, Maintenance): CodePipeline
 * needs a source stage, so it has the normal pipeline's source, without trigger: it starts only
 * by hand. It stores its artifacts in the normal pipeline's bucket and reports to the
 * environment's notification topic.
 */
export class SprykerCompanionPipeline extends Construct {
  public readonly pipeline: codepipeline.Pipeline;

  constructor(scope: Construct, id: string, normal: SprykerPipeline, pipelineName: string, stages: codepipeline.StageProps[]) {
    super(scope, id);
    const source = new SourceStage(this, 'Source', {
      deployment: normal.deployment,
      artifacts: { ...normal.artifacts, source: new codepipeline.Artifact('Source') },
      source: companionSource(normal),
    });
    normal.deployment.registerPipeline(pipelineName);
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      artifactBucket: normal.pipeline.artifactBucket,
      restartExecutionOnUpdate: false,
      stages: [{ stageName: source.stageName, actions: source.actions }, ...stages],
    });
    disableSourceChangeDetection(this.pipeline);
    normal.notifications?.notify(this.pipeline);
    acknowledgePipelineGrants(this, this.pipeline);
  }
}
