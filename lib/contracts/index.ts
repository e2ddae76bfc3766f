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
