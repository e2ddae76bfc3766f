import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { Construct } from 'constructs';
import type { SprykerDeployment } from '../deployment';

/** The artifacts that carry state between stages. */
export interface PipelineArtifacts {
  /** The source revision. */
  readonly source: codepipeline.Artifact;
  /** images.json from Build_and_Prepare: version and image URI by digest per application. */
  readonly images: codepipeline.Artifact;
  /** release.json from Pre_Deployment_Configuration: per service the previous and new task definition. */
  readonly release: codepipeline.Artifact;
}

export interface SprykerStageProps {
  readonly deployment: SprykerDeployment;
  readonly artifacts: PipelineArtifacts;
}

/** A stage of the SCCOS pipeline: its name and its actions, in run order. */
export abstract class SprykerStage extends Construct {
  /** The SCCOS stage name. */
  public abstract readonly stageName: string;
  /** The stage's actions; a subclass or the pipeline's user may append to them before the pipeline is built. */
  public abstract readonly actions: codepipeline.IAction[];
}
