export * from './config/types';
export { SprykerConfigError, validatePipelineProps, type PropsProblem } from './config/validate';
export { SprykerDeployment, ssmPaths } from './deployment';
export { StepHandler, STEP_RUNTIME, type StepHandlerProps, type StepActionProps } from './step-handler';
export { SprykerPipeline, SCCOS_STAGES, ROLLBACK_STAGES, acknowledgePipelineGrants, type SccosStageName, type ExtraStageOptions, type SprykerPipelineOptions } from './spryker-pipeline';
export { SprykerStage, type SprykerStageProps, type PipelineArtifacts } from './stages/stage';
export { SourceStage, type SourceStageProps, type SourceObject } from './stages/source';
export { PleaseApproveStage, type PleaseApproveStageProps } from './stages/please-approve';
export { BuildAndPrepareStage, BUILD_SCRIPT, DEFAULT_DOCKER_SDK_COMMIT, DOCKER_SDK_BUILD_COMMANDS, type BuildAndPrepareStageProps } from './stages/build-and-prepare';
export { SprykerVersions, VERSION_PARAMETERS, type SprykerVersionsProps, type VersionParameter } from './versions';
export { SprykerImages, repositoryName, type SprykerImagesProps } from './images';
export { ConfigureRabbitMqStage, type ConfigureRabbitMqStageProps } from './stages/configure-rabbitmq';
export { HookStage, HOOK_STAGES, SCHEDULER_SETUP, SCHEDULER_SUSPEND, type HookStageProps } from './stages/hooks';
export { PreDeploymentConfigurationStage } from './stages/pre-deployment-configuration';
export { DeployServicesStage, type DeployServicesStageProps } from './stages/deploy-services';
export { UpdateDeployedVersionStage } from './stages/update-deployed-version';
export { PostDeploymentConfigurationStage } from './stages/post-deployment-configuration';
export { WarmUpStage, type WarmUpStageProps } from './stages/warm-up';
export { WARM_UP_DEFAULTS } from './config/limits';
export { SyncCatchUpStage, SYNC_CATCH_UP_DEFAULTS, type SyncCatchUpStageProps } from './stages/sync-catch-up';
export { DEFAULT_SYNC_QUEUES, DEFAULT_IGNORED_QUEUES } from './contracts/sync-queues';
export { SprykerMaintenance, DEFAULT_MAINTENANCE_PAGE, maintenanceConfigPath } from './maintenance';
export { SprykerNotifications } from './notifications';
export { SprykerDestructivePipeline, type SprykerDestructivePipelineProps } from './companion/destructive';
export { SprykerRolloutSchedulerPipeline, type SprykerRolloutSchedulerPipelineProps } from './companion/rollout-scheduler';
export { SprykerMaintenancePipelines, type SprykerMaintenancePipelinesProps } from './companion/maintenance-pipelines';
export { SprykerCompanionPipeline } from './companion/companion-pipeline';
export { SprykerPipelineOperatorPolicy, type SprykerPipelineOperatorPolicyProps } from './companion/operator-policy';
export type { DeploymentModel, ModelService, ServiceSelection } from './contracts/model';
export type { HookName, HookTaskDefinition, MaintenanceMode } from './contracts';
export {
  readDeployFile,
  sprykerPipelinePropsFromDeployFile,
  preflight,
  defaultServiceName,
  DEPLOY_FILE_NAME,
  type DeployFileConfig,
  type DeployFileReadOptions,
  type DeployFilePropsOptions,
  type DeployFileOverrides,
  type DeployFileProps,
  type PreflightOptions,
  type ServiceNaming,
  type NamedApplication,
} from './config/deploy-file';
export { PREFLIGHT_RULES, runPreflight, formatFinding, PreflightError, type PreflightFinding, type PreflightRule, type Severity } from './config/preflight';
/** The release diff as a library: git facts or two source trees in, groups, schema risk and the rollback guard out (docs/release-diff.md). */
export * as releaseDiff from './release-diff';
export { SprykerReports, ReportStage, DEFAULT_REPORT_RETENTION, type ReportStageProps } from './stages/report';
export { SprykerDashboard, type SprykerDashboardProps } from './dashboard';
export { METRIC, METRICS_NAMESPACE, METRICS_DIMENSION, REPORT_STAGE, reportKey, reportConsoleUrl } from './contracts/metrics';
export * from './cutover';
