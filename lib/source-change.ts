import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';

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
