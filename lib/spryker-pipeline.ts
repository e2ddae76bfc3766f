import { Annotations, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SCCOS_STAGES, type SccosStageName } from './contracts/stages';
import type { SccosStageOverrides, SprykerPipelineProps } from './config/types';
import { acknowledge, acknowledgeGrantWildcard, nagFlatten } from './nag';
import { formatFinding } from './config/preflight/finding';
import { isProduction, releaseDiffEnabled, SprykerConfigError, validatePipelineProps, type PropsProblem } from './config/validate';
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
import { VERSIONED_BUCKET_LIFECYCLE } from './retention';
import { SprykerVersions } from './versions';
import { SprykerNotifications } from './notifications';
import { disableSourceChangeDetection } from './source-change';
import { SprykerMaintenance } from './maintenance';
import { WarmUpStage } from './stages/warm-up';
import { ReportStage, SprykerReports } from './stages/report';
import { SprykerDashboard } from './dashboard';
import { REPORT_STAGE, reportConsoleUrl, reportKey } from './contracts/metrics';
import * as events from 'aws-cdk-lib/aws-events';
import { BAKE_STAGE, bakeConditions, grantBakeAlarms, WINDOW_STAGE, windowConditions } from './stages/conditions';
import { syncCatchUpAction, SyncCatchUpStage } from './stages/sync-catch-up';

export { SCCOS_STAGES, type SccosStageName };

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
      if (role instanceof iam.Role) acknowledgeGrantWildcard(role, 'AwsSolutions-IAM5[Resource::*]', 'LambdaInvokeAction grants lambda:ListFunctions, which supports no resource-level permissions', ['lambda:ListFunctions']);
    }
    // Publishing to an approval topic encrypted with its own key (Please_approve).
    for (const action of stage.actions.filter((a) => a instanceof actions.ManualApprovalAction && a.notificationTopic?.masterKey)) {
      const role = pipeline.node.tryFindChild(stage.stageName)?.node.tryFindChild(action.actionProperties.actionName)?.node.tryFindChild('CodePipelineActionRole');
      if (role instanceof iam.Role) {
        acknowledgeGrantWildcard(role, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', "CDK's grant to publish to the encrypted approval topic: data keys of that topic's own key only", ['kms:Decrypt', 'kms:GenerateDataKey*']);
      }
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

/** The props SprykerPipeline computes for each SCCOS stage: what the stage's class receives. */
export interface SccosStageProps {
  readonly Source: ConstructorParameters<typeof SourceStage>[2];
  readonly Please_approve: ConstructorParameters<typeof PleaseApproveStage>[2];
  readonly Build_and_Prepare: ConstructorParameters<typeof BuildAndPrepareStage>[2];
  readonly Configure_RabbitMQ_Vhosts_and_Permissions: ConstructorParameters<typeof ConfigureRabbitMqStage>[2];
  readonly 'Run_pre-deploy_hook': ConstructorParameters<typeof HookStage>[2];
  readonly Pre_Deployment_Configuration: ConstructorParameters<typeof PreDeploymentConfigurationStage>[2];
  readonly Deploy_Scheduler: ConstructorParameters<typeof DeployServicesStage>[2];
  readonly Run_install: ConstructorParameters<typeof HookStage>[2];
  readonly Deploy_Spryker_services: ConstructorParameters<typeof DeployServicesStage>[2];
  readonly UpdateDeployedVersion: ConstructorParameters<typeof UpdateDeployedVersionStage>[2];
  readonly Post_Deployment_Configuration: ConstructorParameters<typeof PostDeploymentConfigurationStage>[2];
  readonly 'Run_post-deploy_hook': ConstructorParameters<typeof HookStage>[2];
}

/**
 * Builds a project's stage in place of a SCCOS stage from the props SprykerPipeline computed for
 * it (hook, maintenance, artifacts, ...), with the SCCOS stage's scope and id (same logical ids).
 * Usually `new MyStage(scope, id, props)` of a subclass of the SCCOS stage's class.
 */
export type SccosStageFactory<N extends SccosStageName> = (scope: Construct, id: string, props: SccosStageProps[N]) => SprykerStage;

/** A factory per SCCOS stage to replace; the others stay SprykerPipeline's. */
export type SccosStageFactories = { readonly [N in SccosStageName]?: SccosStageFactory<N> };

declare module './config/types' {
  /** `stageOverrides`: config/types.ts declares the prop, this module its members (it knows the stages). */
  interface SccosStageOverrides extends SccosStageFactories {}
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
 * Extension points: props `stageOverrides` to build a SCCOS stage with a project's class (from
 * the props computed for it; a companion built from these props applies them too); `stage(name)`
 * to add actions to a stage; `addStageBefore` / `addStageAfter` for a project's own stages (on
 * this pipeline only).
 */
export class SprykerPipeline extends Construct {
  public readonly pipeline: codepipeline.Pipeline;
  public readonly deployment: SprykerDeployment;
  public readonly artifacts: PipelineArtifacts;
  /** `/{env}/desired_version`, `/{env}/lastbuildversion`, `/{env}/lastdeployedversion`. */
  public readonly versions: SprykerVersions;
  /** The SCCOS stages, in order (with Sync_catch_up before Deploy_Spryker_services and Warm_up last, when configured). */
  public readonly sprykerStages: SprykerStage[] = [];
  /** The environment's maintenance mode, when `maintenance` is set. */
  public readonly maintenance?: SprykerMaintenance;
  /** The environment's notification topic, when `notifications` is set. */
  public readonly notifications?: SprykerNotifications;
  /** The environment's deployment reports (bucket, handler, end-of-run rule), unless `report.enabled` is false. */
  public readonly reports?: SprykerReports;
  /** The environment's CloudWatch dashboard of the report metrics, unless `report.enabled` is false. */
  public readonly dashboard?: SprykerDashboard;
  public readonly props: SprykerPipelineProps;
  /**
   * `cutover: 'together'`: the lifecycle hook every application service names in its BLUE_GREEN
   * deployment configuration (`lifecycleHooks: [pipeline.cutoverHook]`, docs/cutover.md).
   */
  public get cutoverHook(): ecs.IDeploymentLifecycleHookTarget | undefined {
    return this.deployment.cutover?.hookTarget;
  }
  /** The pipeline whose environment resources this companion shares. */
  protected readonly companionOf?: SprykerPipeline;

  constructor(scope: Construct, id: string, props: SprykerPipelineProps, options: SprykerPipelineOptions = {}) {
    super(scope, id);
    const problems = [...validatePipelineProps(props), ...stageOverrideProblems(props.stageOverrides)];
    if (problems.length) throw new SprykerConfigError(`SprykerPipeline ${this.node.path}`, problems);
    for (const w of props.preflightWarnings ?? []) {
      if (w.severity === 'warning') Annotations.of(this).addWarningV2(`cdk-spryker-pipeline:${w.code}`, formatFinding(w));
    }
    if (props.approval?.emails?.length && !(props.approval.enabled ?? isProduction(props))) {
      Annotations.of(this).addWarningV2(
        'cdk-spryker-pipeline:approval-emails-unused',
        `approval.emails (${props.approval.emails.join(', ')}) are never notified: approval is off for '${props.environment}' (only production approves by default). Set approval.enabled: true to ask them, or leave approval.emails out`,
      );
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
    this.addSyncCatchUp(stageProps);
    if (props.warmUp) this.sprykerStages.push(new WarmUpStage(this, 'WarmUp', { ...stageProps, warmUp: props.warmUp }));
    if (props.report?.enabled ?? true) {
      this.reports = SprykerReports.of(this.deployment, props.report);
      // Before the Report stage joins: the dashboard graphs the deployment's stages.
      this.dashboard = companionOf?.dashboard ?? new SprykerDashboard(this, 'Dashboard', { environment: props.environment, stages: this.sprykerStages.map((s) => s.stageName), cutover: props.cutover });
      this.sprykerStages.push(new ReportStage(this, 'Report', { ...stageProps, reports: this.reports }));
    }

    const artifactBucket = new s3.Bucket(this, 'ArtifactBucket', {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      // release.json of earlier runs lives here: a rollback reads it (current objects: never expired).
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: VERSIONED_BUCKET_LIFECYCLE,
    });
    const pipelineName = props.pipelineName ?? `${props.environment}-deploy`;
    this.deployment.registerPipeline(pipelineName);
    this.reports?.register(pipelineName);
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
        onSuccess: props.bake && s.stageName === BAKE_STAGE ? bakeConditions(props.bake) : undefined,
        beforeEntry: props.deploymentWindow && s.stageName === WINDOW_STAGE ? windowConditions(props.deploymentWindow) : undefined,
      })),
    });
    if (props.bake) grantBakeAlarms(this, this.pipeline.role, props.bake);
    if (companionOf) disableSourceChangeDetection(this.pipeline);
    else this.sprykerStages.find((s): s is SourceStage => s instanceof SourceStage)?.bindToPipeline(this.pipeline);
    if (props.notifications) {
      this.notifications = SprykerNotifications.of(this.deployment, props.notifications);
      this.notifications.notify(this.pipeline);
      if (this.reports && !companionOf) this.notifications.publishFrom(this.reports.rule, reportLinkMessage(this.reports, props.environment), this.reports.deadLetters);
    }
    acknowledgePipelineGrants(this, this.pipeline);
    acknowledge(
      artifactBucket,
      'AwsSolutions-S1',
      'written and read only by CodePipeline and its actions; object-level access is audited with CloudTrail data events, not a second log bucket per pipeline',
    );
  }

  /**
   * The sync catch-up (on by default with a broker): awaited in its own stage right before
   * Deploy_Spryker_services, or measured by an action beside the rollout in it.
   */
  private addSyncCatchUp(stageProps: SprykerStageProps): void {
    const { broker, syncCatchUp } = this.props;
    if (!broker || syncCatchUp === false) return;
    const sync = syncCatchUp ?? {};
    const deploy = this.sprykerStages.findIndex((s) => s.stageName === 'Deploy_Spryker_services');
    if (deploy < 0) return;
    if (sync.await) {
      this.sprykerStages.splice(deploy, 0, new SyncCatchUpStage(this, 'SyncCatchUp', { ...stageProps, broker, syncCatchUp: sync }));
    } else {
      this.sprykerStages[deploy].actions.push(syncCatchUpAction(this.deployment, broker, sync, 'measure'));
    }
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

  private buildStage(): BuildAndPrepareStage {
    const build = this.sprykerStages.find((s): s is BuildAndPrepareStage => s instanceof BuildAndPrepareStage);
    if (!build) throw new Error('SprykerPipeline: the Build_and_Prepare stage must be a BuildAndPrepareStage (or a subclass): UpdateDeployedVersion protects its images');
    return build;
  }

  /** A SCCOS stage from its computed props: the project's factory (`stageOverrides`), or the stage's own class. */
  private sccosStage<N extends SccosStageName>(
    name: N,
    stage: new (scope: Construct, id: string, props: SccosStageProps[N]) => SprykerStage,
    id: string,
    props: SccosStageProps[N],
  ): SprykerStage {
    const factory = this.props.stageOverrides?.[name] as SccosStageFactory<N> | undefined;
    return factory ? factory(this, id, props) : new stage(this, id, props);
  }

  /** Creates one SCCOS stage; runs in the constructor, so it is private (no subclass code runs before the subclass exists). */
  private createStage(name: SccosStageName, props: SprykerStageProps): SprykerStage {
    const p = this.props;
    const versions = PleaseApproveStage.VARIABLES_NAMESPACE;
    switch (name) {
      case 'Source':
        return this.sccosStage(name, SourceStage, 'Source', { ...props, source: p.source });
      case 'Please_approve': {
        const source = this.sprykerStages.find((s): s is SourceStage => s instanceof SourceStage);
        if (!source) throw new Error('SprykerPipeline: the Source stage must be a SourceStage (or a subclass): Please_approve reads its version');
        return this.sccosStage(name, PleaseApproveStage, 'PleaseApprove', {
          ...props,
          sourceVersion: source.versionVariable,
          sourceObject: source.sourceObject,
          versions: this.versions,
          approvalEnabled: p.approval?.enabled ?? isProduction(p),
          approval: p.approval,
          releaseDiff: releaseDiffEnabled(p),
        });
      }
      case 'Build_and_Prepare':
        return this.sccosStage(name, BuildAndPrepareStage, 'BuildAndPrepare', {
          ...props,
          version: `#{${versions}.VERSION}`,
          sourceVersion: `#{${versions}.SOURCE_VERSION}`,
          versions: this.versions,
          build: p.build,
          keepReleases: p.releaseHistory,
          logRetention: p.logRetention,
          contentIdentity: !p.source?.connection && !p.source?.codeCommit,
        });
      case 'Configure_RabbitMQ_Vhosts_and_Permissions':
        return this.sccosStage(name, ConfigureRabbitMqStage, 'ConfigureRabbitMq', { ...props, broker: p.broker });
      case 'Run_pre-deploy_hook':
        return this.sccosStage(name, HookStage, 'RunPreDeployHook', { ...props, hook: 'beforeDeploy', timeouts: p.hookTimeouts });
      case 'Pre_Deployment_Configuration':
        return this.sccosStage(name, PreDeploymentConfigurationStage, 'PreDeploymentConfiguration', props);
      case 'Deploy_Scheduler':
        return this.sccosStage(name, DeployServicesStage, 'DeployScheduler', { ...props, services: 'scheduler' });
      case 'Run_install':
        return this.sccosStage(name, HookStage, 'RunInstall', {
          ...props,
          hook: (p.pipelineType ?? 'normal') === 'destructive' ? 'destructiveInstall' : 'install',
          timeouts: p.hookTimeouts,
          maintenance: p.maintenance?.duringInstall ? this.maintenance : undefined,
          schemaRisk: p.maintenance?.duringInstall === 'auto' ? `#{${PleaseApproveStage.RELEASE_DIFF_NAMESPACE}.SCHEMA_RISK}` : undefined,
        });
      case 'Deploy_Spryker_services':
        return this.sccosStage(name, DeployServicesStage, 'DeploySprykerServices', { ...props, services: 'application' });
      case 'UpdateDeployedVersion':
        return this.sccosStage(name, UpdateDeployedVersionStage, 'UpdateDeployedVersion', { ...props, images: this.buildStage().images, releaseHistory: p.releaseHistory });
      case 'Post_Deployment_Configuration':
        return this.sccosStage(name, PostDeploymentConfigurationStage, 'PostDeploymentConfiguration', props);
      case 'Run_post-deploy_hook':
        return this.sccosStage(name, HookStage, 'RunPostDeployHook', { ...props, hook: 'afterDeploy', timeouts: p.hookTimeouts });
    }
  }
}

/** The notification of a run's end: its report's console link, built from the event as the report step builds it. */
function reportLinkMessage(reports: SprykerReports, environment: string): events.RuleTargetInput {
  const pipeline = events.EventField.fromPath('$.detail.pipeline');
  const execution = events.EventField.fromPath('$.detail.execution-id');
  const url = reportConsoleUrl(reports.bucket.bucketName, Stack.of(reports).region, reportKey(pipeline, execution, 'html'));
  return events.RuleTargetInput.fromText(`${environment}: ${pipeline} execution ${execution} ${events.EventField.fromPath('$.detail.state')}. Deployment report (${REPORT_STAGE}): ${url}`);
}

/** The names in `stageOverrides` must be SCCOS stages, and each value a factory. */
function stageOverrideProblems(overrides: SccosStageOverrides | undefined): PropsProblem[] {
  return Object.entries(overrides ?? {}).flatMap(([name, factory]): PropsProblem[] => {
    if (!(SCCOS_STAGES as readonly string[]).includes(name)) {
      return [{ prop: `stageOverrides.${name}`, message: `is not a SCCOS stage: use one of ${SCCOS_STAGES.join(', ')} (a project's own stage goes in with addStageBefore/addStageAfter)` }];
    }
    return typeof factory === 'function' ? [] : [{ prop: `stageOverrides.${name}`, message: 'must be a function (scope, id, props) => SprykerStage' }];
  });
}
