/**
 * The deployment model: what the stack knows about the environment and what the step handlers
 * need at run time. The stack writes it, as compact JSON, to one SSM parameter
 * (`/{env}/pipeline/model`); each action's UserParameters only point at it. This keeps every
 * action configuration value far below CodePipeline's 1000-character limit, whatever the size
 * of the shop.
 *
 * The infrastructure (lib/) imports these types type-only; both sides compile against them.
 */

/** Bump when the shape changes incompatibly; handlers refuse a model they do not understand. */
export const MODEL_VERSION = 1;

/** One ECS service of the shop. */
export interface ModelService {
  /** Application name as in images.json and the deploy file: `zed`, `yves`, `scheduler`, ... */
  readonly app: string;
  /** ECS service name in the cluster. */
  readonly service: string;
  /** Container name → image key in images.json: the containers whose image the release replaces. */
  readonly containers: Record<string, string>;
}

/** Hook commands. An absent hook runs nothing (the stage succeeds at once). */
export interface ModelHooks {
  readonly beforeDeploy?: string;
  readonly install?: string;
  readonly destructiveInstall?: string;
  readonly afterDeploy?: string;
}

export interface DeploymentModel {
  readonly v: typeof MODEL_VERSION;
  /** Environment name: resource names and SSM paths `/{env}/...`. */
  readonly env: string;
  /** ECS cluster name. */
  readonly cluster: string;
  /** The application services (Deploy_Spryker_services), in deploy order. */
  readonly services: ModelService[];
  /** The scheduler service (Deploy_Scheduler). */
  readonly scheduler: ModelService;
  /** Application name of the service whose task definition runs the hooks and install. */
  readonly hookService: string;
  readonly hooks: ModelHooks;
  /** Absent: Deploy_Spryker_services rolls each service on its own (`cutover: 'rolling'`). */
  readonly cutover?: ModelCutover;
}

/** `cutover: 'together'`: ECS blue/green for every application service, held by one barrier (docs/cutover.md). */
export interface ModelCutover {
  /** Name of the lifecycle-hook function every application service must name (POST_TEST and POST_PRODUCTION_TRAFFIC_SHIFT). */
  readonly hook: string;
  /** How long the barrier waits for every service to arrive before it fails the release, in milliseconds. */
  readonly barrierTimeoutMs: number;
}

/** Which services of the model a step works on. */
export type ServiceSelection = 'application' | 'scheduler' | 'all';

/** The services a selection names, scheduler last for `all`. */
export function selectServices(model: DeploymentModel, selection: ServiceSelection): ModelService[] {
  switch (selection) {
    case 'application':
      return model.services;
    case 'scheduler':
      return [model.scheduler];
    case 'all':
      return [...model.services, model.scheduler];
  }
}
