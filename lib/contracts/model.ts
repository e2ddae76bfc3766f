/**
 * The deployment model: what the stack knows about the environment and what the step handlers
 * need at run time. The stack writes it, as compact JSON, to one SSM parameter
 * (`/{env}/pipeline/model`), validated at synth; each action's UserParameters only point at it.
 * This keeps every action configuration value far below CodePipeline's 1000-character limit,
 * whatever the size of the shop.
 */
import * as z from 'zod';

/** Bump when the shape changes incompatibly; handlers refuse a model they do not understand. */
export const MODEL_VERSION = 1;

const name = z.string().min(1);

/** One ECS service of the shop. */
export const ModelService = z.object({
  /** Application name as in images.json and the deploy file: `zed`, `yves`, `scheduler`, ... */
  app: name,
  /** ECS service name in the cluster. */
  service: name,
  /** Container name → image key in images.json: the containers whose image the release replaces. */
  containers: z.record(name, name),
});
export type ModelService = z.infer<typeof ModelService>;

/** Hook commands. An absent hook runs nothing (the stage succeeds at once). */
export const ModelHooks = z.object({
  beforeDeploy: z.string().optional(),
  install: z.string().optional(),
  destructiveInstall: z.string().optional(),
  afterDeploy: z.string().optional(),
});
export type ModelHooks = z.infer<typeof ModelHooks>;

/** `cutover: 'together'`: ECS blue/green for every application service, held by one barrier (docs/cutover.md). */
export const ModelCutover = z.object({
  /** Name of the lifecycle-hook function every application service must name (POST_TEST and POST_PRODUCTION_TRAFFIC_SHIFT). */
  hook: z.string().min(1),
  /** How long the barrier waits for every service to arrive before it fails the release, in milliseconds. */
  barrierTimeoutMs: z.number().int().positive(),
});
export type ModelCutover = z.infer<typeof ModelCutover>;

export const DeploymentModel = z.object({
  v: z.literal(MODEL_VERSION),
  /** Environment name: resource names and SSM paths `/{env}/...`. */
  env: name,
  /** ECS cluster name. */
  cluster: name,
  /** The application services (Deploy_Spryker_services), in deploy order. */
  services: z.array(ModelService),
  /** The scheduler service (Deploy_Scheduler). */
  scheduler: ModelService,
  /** Application name of the service whose task definition runs the hooks and install. */
  hookService: name,
  hooks: ModelHooks,
  /** Absent: Deploy_Spryker_services rolls each service on its own (`cutover: 'rolling'`). */
  cutover: ModelCutover.optional(),
});
export type DeploymentModel = z.infer<typeof DeploymentModel>;

/** Which services of the model a step works on. */
export const ServiceSelection = z.enum(['application', 'scheduler', 'all']);
export type ServiceSelection = z.infer<typeof ServiceSelection>;
