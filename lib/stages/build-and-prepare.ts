import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type { Construct } from 'constructs';
import type { SprykerBuildProps } from '../config/types';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface BuildAndPrepareStageProps extends SprykerStageProps {
  /** The version to build: `#{Versions.VERSION}`. */
  readonly version: string;
  /** @default - defaults of SprykerBuildProps */
  readonly build?: SprykerBuildProps;
}

/** Build_and_Prepare: builds and pushes only the missing `{env}-{app}:{version}` images; outputs images.json. */
export class BuildAndPrepareStage extends SprykerStage {
  public readonly stageName = 'Build_and_Prepare';
  public readonly actions: codepipeline.IAction[];
  public readonly project: codebuild.PipelineProject;

  constructor(scope: Construct, id: string, props: BuildAndPrepareStageProps) {
    super(scope, id);
    const { deployment, artifacts } = props;
    this.project = new codebuild.PipelineProject(this, 'Project', {
      description: `${deployment.environment}: builds Spryker images that are missing in ECR`,
      environment: {
        buildImage: props.build?.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0,
        privileged: true,
        computeType: codebuild.ComputeType.MEDIUM,
      },
      environmentVariables: {
        SPRYKER_ENVIRONMENT: { value: deployment.environment },
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: props.build?.buildCommands ?? ['echo "{\\"version\\": \\"$VERSION\\", \\"images\\": {}}" > images.json'] } },
        artifacts: { files: ['images.json'] },
      }),
    });
    this.actions = [
      new actions.CodeBuildAction({
        actionName: 'Build_and_Prepare',
        project: this.project,
        input: artifacts.source,
        outputs: [artifacts.images],
        environmentVariables: { VERSION: { value: props.version } },
      }),
    ];
  }
}
