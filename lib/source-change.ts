import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type { SprykerSourceProps } from './config/types';
import type { SprykerPipeline } from './spryker-pipeline';
import { SourceStage } from './stages/source';

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
 * A companion pipeline starts only by hand: its source is the normal pipeline's, and a push must
 * not start a destructive install. S3 and CodeCommit sources have no trigger of their own (the
 * normal pipeline binds the EventBridge rule); a CodeStar connection detects changes unless told not to.
 */
export function disableSourceChangeDetection(pipeline: codepipeline.Pipeline): void {
  const first = pipeline.stages[0]?.actions ?? [];
  first.forEach((action, i) => {
    if (action instanceof actions.CodeStarConnectionsSourceAction) {
      (pipeline.node.defaultChild as codepipeline.CfnPipeline).addPropertyOverride(`Stages.0.Actions.${i}.Configuration.DetectChanges`, false);
    }
  });
}
