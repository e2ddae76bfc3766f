import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { Construct } from 'constructs';
import { acknowledgePipelineGrants, type SprykerPipeline } from '../spryker-pipeline';
import { SourceStage } from '../stages/source';
import type { SprykerSourceProps } from '../config/types';
import { disableSourceChangeDetection } from '../source-change';

/**
 * The source of a companion pipeline: the normal pipeline's repository, or its S3 source object
 * (CodePipeline needs a source stage, and a destructive run builds from the same code).
 */
export function companionSource(normal: SprykerPipeline): SprykerSourceProps {
  const source = normal.props.source;
  if (source?.connection || source?.codeCommit) return source;
  const stage = normal.sprykerStages.find((s): s is SourceStage => s instanceof SourceStage);
  if (!stage?.sourceObject) throw new Error(`${normal.node.path}: the companion pipelines need its Source stage to be a SourceStage`);
  return { s3: stage.sourceObject };
}

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
