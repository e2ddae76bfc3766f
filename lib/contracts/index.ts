/**
 * The stack/handler types that lib/'s public API shows, in a module free of the AWS SDK and of
 * Lambda types: the package's .d.ts then compile (skipLibCheck: false) for a project that has
 * only aws-cdk-lib and constructs. The handler files import them from here and re-export them;
 * each handler's full parameter interface stays in its file (lib/ uses it inside function bodies
 * only, so no published .d.ts refers to a handler file that imports the SDK).
 */

/** Which of the model's hooks a hook stage runs. */
export type HookName = 'beforeDeploy' | 'install' | 'destructiveInstall' | 'afterDeploy';

/** `live`: the hook service's running revision (pre-deploy, as SCCOS); `release`: the new revision from release.json. */
export type HookTaskDefinition = 'live' | 'release';

/** What a maintenance action does. */
export type MaintenanceMode = 'enable' | 'disable';

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
