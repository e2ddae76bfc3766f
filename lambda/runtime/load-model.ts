import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { call } from './job';
import { parseStackJson } from './stack-json';
import { DeploymentModel, MODEL_VERSION } from '../../lib/contracts/model';

/**
 * How long a container reuses a model it read: the continuations of one job read SSM once a
 * minute at most, and a stack update that changes the model is seen within a minute.
 */
export const MODEL_CACHE_MS = 60_000;

const cache = new Map<string, { at: number; model: DeploymentModel }>();

/** Reads the deployment model the stack wrote to SSM (cached per container, see MODEL_CACHE_MS). */
export async function loadModel(ssm: SSMClient, name: string, now: number = Date.now()): Promise<DeploymentModel> {
  const hit = cache.get(name);
  if (hit && now - hit.at < MODEL_CACHE_MS) return hit.model;
  const out = await call(`reading the deployment model ${name} (SSM)`, ssm.send(new GetParameterCommand({ Name: name })));
  const model = parseStackJson('deployment model', name, out.Parameter?.Value, MODEL_VERSION, DeploymentModel);
  cache.set(name, { at: now, model });
  return model;
}

/** Forgets cached models (tests). */
export function clearModelCache(): void {
  cache.clear();
}
