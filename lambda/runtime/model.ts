/** The deployment model (its schema and types: lib/contracts/model.ts) as the handlers use it. */
import type { DeploymentModel, ModelService, ServiceSelection } from '../../lib/contracts/model';

export { MODEL_VERSION, type DeploymentModel, type ModelCutover, type ModelService, type ServiceSelection } from '../../lib/contracts/model';

/** The services a selection names, scheduler last for `all`. */
export function selectServices(model: DeploymentModel, selection: ServiceSelection): ModelService[] {
  switch (selection) {
    case 'application':
      return model.services;
    case 'scheduler':
      return [model.scheduler];
    case 'all':
      return [...model.services, model.scheduler];
  }
}
