/** Post_Deployment_Configuration: verifies every service still runs the release and reports drift. */
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { readArtifactFile } from './runtime/artifacts';
import { arnId } from './runtime/arn';
import { describeServices } from './runtime/ecs';
import { defineStep, StepFailure, type StepDefinition } from './runtime/job';
import { loadModel } from './runtime/load-model';
import { selectServices } from './runtime/model';
import { parseParams } from './runtime/params';
import { PostDeploymentConfigurationParams } from '../lib/contracts/params';
import { parseRelease, RELEASE_FILE, releaseOf } from './runtime/release';

export const step: StepDefinition<PostDeploymentConfigurationParams, never> = {
  name: 'post-deployment-configuration',
  parseParams: (raw) => parseParams('post-deployment-configuration', raw, PostDeploymentConfigurationParams),
  run: async (ctx) => {
    const model = await loadModel(ctx.client(SSMClient), ctx.params.model, ctx.now());
    const release = parseRelease(await readArtifactFile(ctx, RELEASE_FILE), RELEASE_FILE);
    const services = selectServices(model, 'all');
    const live = await describeServices(ctx.client(ECSClient), model.cluster, services.map((s) => s.service));
    const drift: string[] = [];
    let tasks = 0;
    for (const svc of services) {
      const expected = releaseOf(release, svc.service).taskDefinition;
      const service = live.get(svc.service)!;
      const other = (service.deployments ?? []).filter((d) => d.taskDefinition !== expected);
      if (service.taskDefinition !== expected || other.length) {
        const runs = (service.deployments ?? []).map((d) => `${arnId(d.taskDefinition)} (${d.status}, ${d.runningCount ?? 0} running)`).join(', ');
        drift.push(`${svc.service} runs ${runs || arnId(service.taskDefinition)}, the release is ${arnId(expected)}`);
      }
      tasks += service.runningCount ?? 0;
    }
    if (drift.length) {
      throw new StepFailure(
        `release ${release.version} drifted in cluster ${model.cluster}: ${drift.join('; ')}: a deployment, rollback or manual change happened after Deploy_Spryker_services; check the services' events and rerun the pipeline`,
      );
    }
    return { status: 'done', summary: `release ${release.version}: all ${services.length} services run it (${tasks} tasks)` };
  },
};

export const handler = defineStep(step);
