/** The pipeline's stage names, shared by the construct (lib/) and the rehearsal (sim/, which must not load aws-cdk-lib). */

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
