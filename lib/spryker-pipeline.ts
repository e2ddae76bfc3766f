import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { SprykerPipelineProps } from './config/types';
import { acknowledge, nagFlatten } from './nag';
import { formatFinding } from './config/preflight/finding';
import { isProduction, SprykerConfigError, validatePipelineProps } from './config/validate';
import { SprykerDeployment } from './deployment';
import { BuildAndPrepareStage } from './stages/build-and-prepare';
import { ConfigureRabbitMqStage } from './stages/configure-rabbitmq';
import { DeployServicesStage } from './stages/deploy-services';
import { HookStage } from './stages/hooks';
import { PleaseApproveStage } from './stages/please-approve';
import { PostDeploymentConfigurationStage } from './stages/post-deployment-configuration';
import { PreDeploymentConfigurationStage } from './stages/pre-deployment-configuration';
import { SourceStage } from './stages/source';
import type { PipelineArtifacts, SprykerStage, SprykerStageProps } from './stages/stage';
import { UpdateDeployedVersionStage } from './stages/update-deployed-version';
import { SprykerVersions } from './versions';
import { SprykerNotifications } from './companion/notifications';
import { disableSourceChangeDetection } from './companion/source';
import { SprykerMaintenance } from './maintenance';
import { WarmUpStage } from './stages/warm-up';

/** SCCOS's stages, in SCCOS's order. */
export const SCCOS_STAGES = [
  'Source',
  'Please_approve',
  'Build_and_Prepare',
  'Configure_RabbitMQ_Vhosts_and_Permissions',
  'Run_pre-deploy_hook',
  'Pre_Deployment_Configuration',
  'Deploy_Scheduler',
  'Run_install',
  'Deploy_Spryker_services',
  'UpdateDeployedVersion',
  'Post_Deployment_Configuration',
  'Run_post-deploy_hook',
] as const;

export type SccosStageName = (typeof SCCOS_STAGES)[number];

/**
 * CDK's grants of a pipeline carry wildcards that AWS requires: object-level actions on its
 * artifact bucket, and LambdaInvokeAction's lambda:ListFunctions (no resource-level permissions).
 */
export function acknowledgePipelineGrants(scope: Construct, pipeline: codepipeline.Pipeline): void {
  const reason = "CDK's grant for pipeline artifacts: object-level actions on this pipeline's artifact bucket only";
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
    acknowledge(scope, `AwsSolutions-IAM5[Action::${action}]`, reason);
  }
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${nagFlatten(scope, pipeline.artifactBucket.bucketArn)}/*]`, reason);
  for (const stage of pipeline.stages) {
    for (const action of stage.actions.filter((a) => a instanceof actions.LambdaInvokeAction)) {
      const role = pipeline.node.tryFindChild(stage.stageName)?.node.tryFindChild(action.actionProperties.actionName)?.node.tryFindChild('CodePipelineActionRole');
      if (role) acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', 'LambdaInvokeAction grants lambda:ListFunctions, which supports no resource-level permissions');
    }
  }
}

/** The stages that roll back automatically on failure (`rollbackOnFailure`). */
export const ROLLBACK_STAGES: readonly SccosStageName[] = ['Deploy_Scheduler', 'Deploy_Spryker_services'];

export interface SprykerPipelineOptions {
  /**
   * Another pipeline of the same environment (a companion: destructive, ...) whose deployment
   * model, version parameters and handlers this one shares; it starts only by hand.
   * @default - the environment's first pipeline: it creates them, and its source starts it
   */
  readonly companionOf?: SprykerPipeline;
}

/** A project's own stage, placed relative to a SCCOS stage. */
export interface ExtraStageOptions {
  readonly stageName: string;
  readonly actions: codepipeline.IAction[];
}

/**
 * The SCCOS deployment pipeline of one Spryker environment: a CodePipeline V2 in QUEUED mode
 * (two pushes never deploy over each other) with SCCOS's stages in SCCOS's order.
 *
 * Extension points: `createStage` (protected) to substitute a stage subclass; `stage(name)` to
 * add actions to a stage; `addStageBefore` / `addStageAfter` for a project's own stages.
 */
export class SprykerPipeline extends Construct {
  public readonly pipeline: codepipeline.Pipeline;
  public readonly deployment: SprykerDeployment;
  public readonly artifacts: PipelineArtifacts;
  /** `/{env}/desired_version`, `/{env}/lastbuildversion`, `/{env}/lastdeployedversion`. */
  public readonly versions: SprykerVersions;
  /** The SCCOS stages, in order (and Warm_up last, when configured). */
  public readonly sprykerStages: SprykerStage[] = [];
  /** The environment's maintenance mode, when `maintenance` is set. */
  public readonly maintenance?: SprykerMaintenance;
  /** The environment's notification topic, when `notifications` is set. */
  public readonly notifications?: SprykerNotifications;
  public readonly props: SprykerPipelineProps;
  /** The pipeline whose environment resources this companion shares. */
  protected readonly companionOf?: SprykerPipeline;

  constructor(scope: Construct, id: string, props: SprykerPipelineProps, options: SprykerPipelineOptions = {}) {
    super(scope, id);
    const problems = validatePipelineProps(props);
    if (problems.length) throw new SprykerConfigError(`SprykerPipeline ${this.node.path}`, problems);
    for (const w of props.preflightWarnings ?? []) {
      if (w.severity === 'warning') Annotations.of(this).addWarningV2(`cdk-spryker-pipeline:${w.code}`, formatFinding(w));
    }
    this.props = props;

    const companionOf = options.companionOf;
    this.companionOf = companionOf;
    if (companionOf && companionOf.deployment.environment !== props.environment) {
      throw new SprykerConfigError(`SprykerPipeline ${this.node.path}`, [
        { prop: 'companionOf', message: `belongs to environment '${companionOf.deployment.environment}', not '${props.environment}': a companion shares its environment's model` },
      ]);
    }
    this.deployment = companionOf?.deployment ?? new SprykerDeployment(this, 'Deployment', props);
    if (props.maintenance) this.maintenance = SprykerMaintenance.of(this.deployment, props.maintenance);
    this.artifacts = {
      source: new codepipeline.Artifact('Source'),
      images: new codepipeline.Artifact('Images'),
      release: new codepipeline.Artifact('Release'),
    };
    this.versions = companionOf?.versions ?? new SprykerVersions(this, 'Versions', { environment: props.environment });
    const stageProps: SprykerStageProps = { deployment: this.deployment, artifacts: this.artifacts };
    // One at a time: a stage may read the ones before it (Please_approve reads Source's version variable).
    for (const name of SCCOS_STAGES) this.sprykerStages.push(this.createStage(name, stageProps));
    if (props.warmUp) this.sprykerStages.push(new WarmUpStage(this, 'WarmUp', { ...stageProps, warmUp: props.warmUp }));

    const artifactBucket = new s3.Bucket(this, 'ArtifactBucket', {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      // release.json of earlier runs lives here: a rollback reads it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const pipelineName = props.pipelineName ?? `${props.environment}-deploy`;
    this.deployment.registerPipeline(pipelineName);
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: codepipeline.ExecutionMode.QUEUED,
      artifactBucket,
      restartExecutionOnUpdate: false,
      stages: this.sprykerStages.map((s) => ({
        stageName: s.stageName,
        actions: s.actions,
        // The last successful execution's release.json redeploys the previous release: no rebuild.
        onFailure: (props.rollbackOnFailure ?? true) && ROLLBACK_STAGES.includes(s.stageName as SccosStageName) ? { result: codepipeline.Result.ROLLBACK } : undefined,
      })),
    });
    if (companionOf) disableSourceChangeDetection(this.pipeline);
    else this.sprykerStages.find((s): s is SourceStage => s instanceof SourceStage)?.bindToPipeline(this.pipeline);
    if (props.notifications) {
      this.notifications = SprykerNotifications.of(this.deployment, props.notifications);
      this.notifications.notify(this.pipeline);
    }
    acknowledgePipelineGrants(this, this.pipeline);
    acknowledge(
      artifactBucket,
      'AwsSolutions-S1',
      'written and read only by CodePipeline and its actions; object-level access is audited with CloudTrail data events, not a second log bucket per pipeline',
    );
  }

  /** The pipeline stage of a SCCOS stage name (or a project's stage). */
  public stage(name: SccosStageName | string): codepipeline.IStage {
    const stage = this.pipeline.stages.find((s) => s.stageName === name);
    if (!stage) throw new Error(`SprykerPipeline: no stage '${name}' (stages: ${this.pipeline.stages.map((s) => s.stageName).join(', ')})`);
    return stage;
  }

  public addStageBefore(name: SccosStageName | string, options: ExtraStageOptions): codepipeline.IStage {
    return this.pipeline.addStage({ ...options, placement: { rightBefore: this.stage(name) } });
  }

  public addStageAfter(name: SccosStageName | string, options: ExtraStageOptions): codepipeline.IStage {
    return this.pipeline.addStage({ ...options, placement: { justAfter: this.stage(name) } });
  }

  /**
   * Creates one SCCOS stage. Override to substitute a subclass for a stage, and call
   * `super.createStage` for the others.
   */
  protected createStage(name: SccosStageName, props: SprykerStageProps): SprykerStage {
    const p = this.props;
    const versions = PleaseApproveStage.VARIABLES_NAMESPACE;
    switch (name) {
      case 'Source':
        return new SourceStage(this, 'Source', { ...props, source: p.source });
      case 'Please_approve': {
        const source = this.sprykerStages.find((s): s is SourceStage => s instanceof SourceStage);
        if (!source) throw new Error('SprykerPipeline: the Source stage must be a SourceStage (or a subclass): Please_approve reads its version');
        return new PleaseApproveStage(this, 'PleaseApprove', {
          ...props,
          sourceVersion: source.versionVariable,
          sourceObject: source.sourceObject,
          versions: this.versions,
          approvalEnabled: p.approval?.enabled ?? isProduction(p),
          approval: p.approval,
        });
      }
      case 'Build_and_Prepare':
        return new BuildAndPrepareStage(this, 'BuildAndPrepare', {
          ...props,
          version: `#{${versions}.VERSION}`,
          sourceVersion: `#{${versions}.SOURCE_VERSION}`,
          versions: this.versions,
          build: p.build,
          logRetention: p.logRetention,
        });
      case 'Configure_RabbitMQ_Vhosts_and_Permissions':
        return new ConfigureRabbitMqStage(this, 'ConfigureRabbitMq', { ...props, broker: p.broker });
      case 'Run_pre-deploy_hook':
        return new HookStage(this, 'RunPreDeployHook', { ...props, hook: 'beforeDeploy' });
      case 'Pre_Deployment_Configuration':
        return new PreDeploymentConfigurationStage(this, 'PreDeploymentConfiguration', props);
      case 'Deploy_Scheduler':
        return new DeployServicesStage(this, 'DeployScheduler', { ...props, services: 'scheduler' });
      case 'Run_install':
        return new HookStage(this, 'RunInstall', {
          ...props,
          hook: (p.pipelineType ?? 'normal') === 'destructive' ? 'destructiveInstall' : 'install',
          maintenance: p.maintenance?.duringInstall ? this.maintenance : undefined,
        });
      case 'Deploy_Spryker_services':
        return new DeployServicesStage(this, 'DeploySprykerServices', { ...props, services: 'application' });
      case 'UpdateDeployedVersion':
        return new UpdateDeployedVersionStage(this, 'UpdateDeployedVersion', props);
      case 'Post_Deployment_Configuration':
        return new PostDeploymentConfigurationStage(this, 'PostDeploymentConfiguration', props);
      case 'Run_post-deploy_hook':
        return new HookStage(this, 'RunPostDeployHook', { ...props, hook: 'afterDeploy' });
    }
  }
}
