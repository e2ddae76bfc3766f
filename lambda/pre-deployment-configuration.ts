/** Pre_Deployment_Configuration: new task-definition revisions with the release's images; writes release.json. */
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { readArtifactFile, writeArtifact } from './runtime/artifacts';
import { describeServices } from './runtime/ecs';
import { call, defineStep, StepFailure, type StepDefinition } from './runtime/job';
import { mapLimit } from './runtime/map-limit';
import { loadModel } from './runtime/load-model';
import { selectServices, type ModelService } from './runtime/model';
import { parseParams } from './runtime/params';
import { PreDeploymentConfigurationParams } from '../lib/contracts/params';
import { IMAGES_FILE, parseImages, RELEASE_FILE, RELEASE_VERSION, type ImagesManifest, type ReleaseManifest, type ReleaseService } from './runtime/release';

/** Registrations at once: RegisterTaskDefinition is throttled at a few calls per second. */
const CONCURRENCY = 4;

export const step: StepDefinition<PreDeploymentConfigurationParams, never> = {
  name: 'pre-deployment-configuration',
  parseParams: (raw) => parseParams('pre-deployment-configuration', raw, PreDeploymentConfigurationParams),
  run: async (ctx) => {
    const model = await loadModel(ctx.client(SSMClient), ctx.params.model, ctx.now());
    const images = parseImages(await readArtifactFile(ctx, IMAGES_FILE), IMAGES_FILE);
    const services = selectServices(model, 'all');
    const ecs = ctx.client(ECSClient);
    const live = await describeServices(ecs, model.cluster, services.map((s) => s.service));

    // Everything is checked before anything is registered: a missing image fails with nothing changed.
    const plans = await mapLimit(services, CONCURRENCY, async (svc) => {
      const previous = live.get(svc.service)!.taskDefinition!;
      const current = await describeTaskDefinition(ecs, previous);
      return { svc, previous, input: releaseDefinition(svc, current.taskDefinition!, current.tags, images) };
    });
    const problems = plans.flatMap((p) => (typeof p.input === 'string' ? [p.input] : []));
    if (problems.length) throw new StepFailure(`release ${images.version} cannot be prepared: ${problems.join('; ')}`, 'JobFailed');

    let registered = 0;
    const entries = await mapLimit(plans, CONCURRENCY, async ({ svc, previous, input }): Promise<ReleaseService> => {
      const taskDefinition = await registerUnlessSame(ecs, input as RegisterTaskDefinitionCommandInput, svc.service);
      if (taskDefinition.registered) registered++;
      return { app: svc.app, service: svc.service, previousTaskDefinition: previous, taskDefinition: taskDefinition.arn };
    });
    const release: ReleaseManifest = {
      v: RELEASE_VERSION,
      env: model.env,
      version: images.version,
      preparedAt: new Date(ctx.now()).toISOString(),
      services: entries,
    };
    await writeArtifact(ctx, { [RELEASE_FILE]: JSON.stringify(release, null, 1) });
    return {
      status: 'done',
      summary: `release ${images.version}: ${registered} task definition revision(s) registered, ${entries.length - registered} reused, for ${entries.length} services`,
      outputVariables: { VERSION: images.version },
    };
  },
};

export const handler = defineStep(step);

/** Read-only fields DescribeTaskDefinition returns and RegisterTaskDefinition refuses. */
const READ_ONLY = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt', 'deleteRequestedAt'] as const;

/**
 * The live definition with the release's images in the service's application containers, or a
 * sentence saying why it cannot be built.
 */
export function releaseDefinition(svc: ModelService, live: TaskDefinition, tags: Tag[] | undefined, images: ImagesManifest): RegisterTaskDefinitionCommandInput | string {
  const input = registrable(live, tags);
  const containers = live.containerDefinitions ?? [];
  const problems: string[] = [];
  for (const [name, key] of Object.entries(svc.containers)) {
    if (!containers.some((c) => c.name === name)) {
      problems.push(`service ${svc.service}: task definition ${live.taskDefinitionArn} has no container '${name}' (it has ${containers.map((c) => c.name).join(', ')}): fix containerImages of '${svc.app}'`);
    }
    if (!images.images[key]) {
      problems.push(`service ${svc.service}: ${IMAGES_FILE} has no image '${key}' (it has ${Object.keys(images.images).join(', ') || 'none'}): Build_and_Prepare must build it`);
    }
  }
  if (problems.length) return problems.join('; ');
  input.containerDefinitions = containers.map((c) => (c.name && c.name in svc.containers ? { ...c, image: images.images[svc.containers[c.name]] } : c));
  return input;
}

/** A described task definition as RegisterTaskDefinition takes it. */
function registrable(def: TaskDefinition, tags: Tag[] | undefined): RegisterTaskDefinitionCommandInput {
  const out: Record<string, unknown> = { ...def };
  for (const key of READ_ONLY) delete out[key];
  if (tags?.length) out.tags = tags;
  return out as unknown as RegisterTaskDefinitionCommandInput;
}

async function describeTaskDefinition(ecs: ECSClient, taskDefinition: string) {
  return call(`ECS DescribeTaskDefinition ${taskDefinition}`, ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] })));
}

/**
 * Registers the definition unless the family's newest revision already is exactly it (a rerun,
 * or a duplicate delivery of the job): then that revision is the release's.
 */
async function registerUnlessSame(ecs: ECSClient, input: RegisterTaskDefinitionCommandInput, service: string): Promise<{ arn: string; registered: boolean }> {
  const { taskDefinition, tags } = await describeTaskDefinition(ecs, input.family!);
  if (taskDefinition && stableJson(registrable(taskDefinition, tags)) === stableJson(input)) {
    return { arn: taskDefinition.taskDefinitionArn!, registered: false };
  }
  const out = await call(`ECS RegisterTaskDefinition ${input.family} (service ${service})`, ecs.send(new RegisterTaskDefinitionCommand(input)));
  return { arn: out.taskDefinition!.taskDefinitionArn!, registered: true };
}

/** JSON with sorted keys and no undefined/empty values, for comparing definitions. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => [k, v[k]])) : v,
  );
}
