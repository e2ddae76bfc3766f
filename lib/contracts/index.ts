/**
 * The stack/handler contracts, in a module free of the AWS SDK and of Lambda types: the package's
 * .d.ts then compile (skipLibCheck: false) for a project that has only aws-cdk-lib and constructs.
 * Each contract is a zod schema in its own file (model, images, release, maintenance, warm-up,
 * params: every step's UserParameters) with its type inferred from it; lib/ and lambda/ both
 * import them from there.
 */

export { HookName, HookTaskDefinition } from './params';
export { MaintenanceMode } from './maintenance';

