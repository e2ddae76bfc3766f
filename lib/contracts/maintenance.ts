/**
 * Maintenance mode: the configuration the stack writes to SSM (`/{env}/pipeline/maintenance`),
 * the maintenance-mode action's UserParameters, and the out-of-band lift's event input.
 */
import * as z from 'zod';

/** What a maintenance action does. */
export const MaintenanceMode = z.enum(['enable', 'disable']);
export type MaintenanceMode = z.infer<typeof MaintenanceMode>;

/** Bump when the configuration changes incompatibly; the handler refuses a version it does not read. */
export const MAINTENANCE_CONFIG_VERSION = 1;

/** What the stack writes to the config parameter. */
export const MaintenanceConfig = z.object({
  v: z.literal(MAINTENANCE_CONFIG_VERSION),
  env: z.string().min(1),
  listenerArn: z.string().min(1),
  /** First listener-rule priority of the maintenance rules; the clones and the 503 rule take the ones after it. */
  priority: z.number().int().min(1),
  /** CIDRs that still reach the shop. */
  allowedIps: z.array(z.string().min(1)),
  /** Body of the 503 response (ALB: at most 1024 characters). */
  page: z.string().max(1024),
  contentType: z.string().min(1),
});
export type MaintenanceConfig = z.infer<typeof MaintenanceConfig>;

export const MaintenanceParams = z.strictObject({
  /** SSM parameter holding the MaintenanceConfig JSON. */
  config: z.string().min(1),
  mode: MaintenanceMode,
});
export type MaintenanceParams = z.infer<typeof MaintenanceParams>;

/**
 * What the EventBridge rule of SprykerMaintenance.liftAfter sends when a maintenance-wrapped stage
 * of a pipeline execution ends (CodePipeline "Action/Stage Execution State Change"), whether or
 * not our handler saw the end.
 */
export const LiftAfterExecution = z.object({
  liftAfterExecution: z.object({
    /** SSM parameter of the MaintenanceConfig. */
    config: z.string().min(1),
    pipeline: z.string().min(1),
    /** `detail.execution-id`: the owner tag the stage put on the 503 rule. */
    executionId: z.string().min(1),
    stage: z.string().min(1),
    state: z.string().min(1),
  }),
});
export type LiftAfterExecution = z.infer<typeof LiftAfterExecution>;
