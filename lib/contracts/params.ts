/**
 * Each step handler's UserParameters: the stage writes them (typed by these schemas), the handler
 * parses them with the same schema before it reads or writes anything. Strict objects: a field the
 * handler does not know is a stage/handler mismatch, reported rather than ignored. (Maintenance
 * mode's and Warm_up's are in maintenance.ts and warm-up.ts, beside their configurations.)
 */
import * as z from 'zod';
import { ModelHooks, ServiceSelection } from './model';

const required = z.string().min(1);
/** SSM parameter name of the deployment model. */
const model = required;

/** Which of the model's hooks a hook stage runs. */
export const HookName = ModelHooks.keyof();
export type HookName = z.infer<typeof HookName>;

/** `live`: the hook service's running revision (pre-deploy, as SCCOS); `release`: the new revision from release.json. */
export const HookTaskDefinition = z.enum(['live', 'release']);
export type HookTaskDefinition = z.infer<typeof HookTaskDefinition>;

/** An S3 source: the object whose versions are the source archives. */
const SourceObject = z.strictObject({ bucket: required, key: required });

/** Deploy_Scheduler, Deploy_Spryker_services, Rollout_Scheduler. */
export const DeployParams = z.strictObject({
  model,
  /** Which services of the model this stage deploys. */
  services: ServiceSelection,
  /**
   * `release`: each service moves to its task definition in release.json (the input artifact).
   * `current`: each service is redeployed on its current task definition (forceNewDeployment, no
   * input artifact), e.g. to pick up new parameters (Rollout_Scheduler).
   * @default 'release'
   */
  revision: z.enum(['release', 'current']).optional(),
});
export type DeployParams = z.infer<typeof DeployParams>;

/** Run_pre-deploy_hook, Run_install, Run_post-deploy_hook. */
export const RunHookParams = z.strictObject({
  model,
  /** Which of the model's hooks to run. */
  hook: HookName,
  taskDefinition: HookTaskDefinition,
  /** Scheduler command run after the hook in the same task, e.g. `vendor/bin/console scheduler:suspend -vvv --no-ansi`. */
  then: required.optional(),
  /** The hook's time limit (hookTimeouts): a task running longer is stopped and the stage fails. */
  timeoutMinutes: z.number().positive(),
  /**
   * SSM parameter of the environment's maintenance configuration: maintenance is turned on before
   * the task starts and lifted when the stage ends, whatever the outcome.
   * @default - no maintenance mode
   */
  maintenance: required.optional(),
  /**
   * `maintenance.duringInstall: 'auto'`: Release_diff's SCHEMA_RISK (`#{ReleaseDiff.SCHEMA_RISK}`);
   * maintenance is turned on only when it is neither `none` nor `additive`.
   * @default - maintenance whenever `maintenance` is set
   */
  schemaRisk: required.optional(),
});
export type RunHookParams = z.infer<typeof RunHookParams>;

/** Please_approve's Versions action. */
export const PrepareVersionParams = z.strictObject({
  /** The source action's revision: the commit hash, or the S3 object version when `sourceObject` is set. */
  sourceVersion: required,
  /**
   * S3 source: the object whose version `sourceVersion` is; its `commit` metadata holds the commit hash.
   * @default - a git source: `sourceVersion` is the commit hash
   */
  sourceObject: SourceObject.optional(),
  /** `/{env}/desired_version`. */
  desiredVersionParameter: required,
  /** `/{env}/lastdeployedversion`. */
  lastDeployedVersionParameter: required,
});
export type PrepareVersionParams = z.infer<typeof PrepareVersionParams>;

/** Please_approve's Release_diff action. */
export const ReleaseDiffParams = z.strictObject({
  /** Environment name: the report's key prefix. */
  environment: required,
  /** `#{Versions.VERSION}` */
  version: required,
  /** `#{Versions.LAST_DEPLOYED_VERSION}`: a commit hash, or `none` before the first deployment. */
  lastDeployedVersion: required,
  /** `#{codepipeline.PipelineExecutionId}`: one report per execution. */
  executionId: required,
  /** Bucket of the reports. */
  reportBucket: required,
  /** `/{env}/confirm_rollback`. */
  confirmParameter: required,
  /** SSM parameter of the deployment model: its services' images are the ones Build_and_Prepare builds or reuses. */
  model,
  /**
   * S3 source: the versioned object holding the source archives.
   * @default - a git source: the input artifact holds the facts of the Release_facts action
   */
  sourceObject: SourceObject.optional(),
});
export type ReleaseDiffParams = z.infer<typeof ReleaseDiffParams>;

/** Pre_Deployment_Configuration (and Post_Deployment_Configuration): only the model. */
export const PreDeploymentConfigurationParams = z.strictObject({ model });
export type PreDeploymentConfigurationParams = z.infer<typeof PreDeploymentConfigurationParams>;

export const PostDeploymentConfigurationParams = PreDeploymentConfigurationParams;
export type PostDeploymentConfigurationParams = z.infer<typeof PostDeploymentConfigurationParams>;

/** UpdateDeployedVersion. */
export const UpdateDeployedVersionParams = z.strictObject({
  /** SSM parameter that holds the last deployed version: `/{env}/lastdeployedversion`. */
  parameter: required,
  /** DynamoDB table of the environment's kept releases (SprykerReleaseHistory). */
  releaseTable: required,
  /** Releases kept, newest `deployedAt` first; older ones are pruned (record and protective tags). */
  keepReleases: z.number().int().min(2),
  /** Prefix of the ECR tag that protects a kept release's images (`<prefix><version>`), matched by the repositories' first lifecycle rule. */
  keptTagPrefix: required,
  /** Input artifact that holds release.json (Pre_Deployment_Configuration's output). */
  releaseArtifact: required,
  /** Input artifact that holds images.json (Build_and_Prepare's output). */
  imagesArtifact: required,
});
export type UpdateDeployedVersionParams = z.infer<typeof UpdateDeployedVersionParams>;

/** Report: the Spryker environment, the metrics' dimension. */
export const ReportParams = z.strictObject({ environment: required });
export type ReportParams = z.infer<typeof ReportParams>;
