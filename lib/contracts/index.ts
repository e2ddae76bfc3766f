/**
 * The stack/handler contracts, in a module free of the AWS SDK and of Lambda types: the package's
 * .d.ts then compile (skipLibCheck: false) for a project that has only aws-cdk-lib and constructs.
 * Each contract is a zod schema in its own file (model, images, release, maintenance, warm-up,
 * params: every step's UserParameters) with its type inferred from it; lib/ and lambda/ both
 * import them from there.
 */

export { HookName, HookTaskDefinition } from './params';
export { MaintenanceMode } from './maintenance';

/** Configure_RabbitMQ_Vhosts_and_Permissions' UserParameters (the stage exposes them to the destructive companion). */
export interface RabbitMqParams {
  /** SSM parameter holding the desired broker state (no secrets: secret ARNs only). Absent: no broker, nothing to do. */
  readonly config?: string;
  /**
   * The broker endpoint, pinned by the stack: the desired state in SSM must name the same one.
   * Whoever may write `/{env}/pipeline/*` then still cannot send the credentials to another host.
   */
  readonly endpoint?: string;
  /** `broker.allowInsecureBrokerEndpoint`: an http endpoint is accepted. */
  readonly allowInsecureEndpoint?: boolean;
}
