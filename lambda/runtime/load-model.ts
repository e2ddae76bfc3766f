import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { StepFailure } from './job';
import { MODEL_VERSION, type DeploymentModel } from './model';

/** Reads the deployment model the stack wrote to SSM. */
export async function loadModel(ssm: SSMClient, name: string): Promise<DeploymentModel> {
  const out = await ssm.send(new GetParameterCommand({ Name: name }));
  let model: DeploymentModel;
  try {
    model = JSON.parse(out.Parameter?.Value ?? '');
  } catch {
    throw new StepFailure(`deployment model ${name} is not JSON: redeploy the pipeline stack`, 'ConfigurationError');
  }
  if (model?.v !== MODEL_VERSION) {
    throw new StepFailure(
      `deployment model ${name} has version ${JSON.stringify(model?.v)}, this handler reads ${MODEL_VERSION}: redeploy the pipeline stack`,
      'ConfigurationError',
    );
  }
  return model;
}
