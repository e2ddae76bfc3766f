/**
 * The artifacts that carry a release between stages (documented in docs/step-handlers.md):
 * images.json in (Build_and_Prepare), release.json out (Pre_Deployment_Configuration) and in
 * (Deploy_*, Run_install, UpdateDeployedVersion, Post_Deployment_Configuration, Run_post-deploy_hook).
 */
import type * as z from 'zod';
import { ImagesManifest, IMAGES_VERSION } from '../../lib/contracts/images';
import { ReleaseManifest, RELEASE_VERSION, type ReleaseService } from '../../lib/contracts/release';
import { StepFailure } from './job';
import { parseWith } from './params';

export { IMAGES_FILE, type ImagesManifest } from '../../lib/contracts/images';
export { DEPLOYED_RELEASE_VERSION, RELEASE_FILE, RELEASE_VERSION, type DeployedRelease, type ReleaseManifest, type ReleaseService } from '../../lib/contracts/release';

/** images.json (absent `v`: a manifest built before it had one, read as version 1). */
export const parseImages = (text: string, where: string): ImagesManifest =>
  parseArtifact(text, where, ImagesManifest, IMAGES_VERSION, "check Build_and_Prepare's output, or rerun the pipeline from Build_and_Prepare");

export const parseRelease = (text: string, where: string): ReleaseManifest =>
  parseArtifact(text, where, ReleaseManifest, RELEASE_VERSION, 'rerun the pipeline from Pre_Deployment_Configuration');

/**
 * An artifact another stage wrote: its version first (an artifact of another pipeline version is
 * named as such), then its schema, every problem at once. JobFailed: the input, not the pipeline
 * definition, is wrong.
 */
function parseArtifact<S extends z.ZodType>(text: string, where: string, schema: S, version: number, fix: string): z.output<S> {
  const doc = parseJson(text, where) as { v?: unknown } | null;
  if (doc?.v !== undefined && doc.v !== version) {
    throw new StepFailure(`${where} has version ${JSON.stringify(doc.v)}, this handler reads version ${version}: ${fix}`, 'JobFailed');
  }
  return parseWith(schema, doc, `${where} is invalid`, fix, 'JobFailed');
}

/** The release's entry for an ECS service; a missing one means the model changed since the release was prepared. */
export function releaseOf(release: ReleaseManifest, service: string): ReleaseService {
  const entry = release.services.find((s) => s.service === service);
  if (!entry) {
    throw new StepFailure(
      `release ${release.version} has no task definition for service ${service} (it has: ${release.services.map((s) => s.service).join(', ')}): the model changed since Pre_Deployment_Configuration ran; rerun the pipeline`,
      'JobFailed',
    );
  }
  return entry;
}

/** `arn:…:task-definition/<family>` of a task-definition ARN: account, region and family, without the revision. */
const familyArn = (taskDefinition: string) => taskDefinition.replace(/:\d+$/, '');

/**
 * Refuses, before any UpdateService or RunTask, a release that is not this environment's: another
 * environment, a service it lacks, or a task definition of another family (or account, or
 * region) than the one the service runs: release.json sits in a bucket others may write
 * (issue 12), and a foreign task definition would run with this environment's roles.
 * All problems at once.
 */
export function assertReleaseOf(
  release: ReleaseManifest,
  model: { readonly env: string },
  services: readonly { readonly service: string; readonly liveTaskDefinition: string }[],
): void {
  const problems: string[] = [];
  if (release.env !== model.env) problems.push(`it is for environment '${release.env}', this pipeline deploys '${model.env}'`);
  for (const { service, liveTaskDefinition } of services) {
    const entry = release.services.find((s) => s.service === service);
    if (!entry) problems.push(`it has no task definition for service ${service}`);
    else if (familyArn(entry.taskDefinition) !== familyArn(liveTaskDefinition)) {
      problems.push(`service ${service} would run ${JSON.stringify(entry.taskDefinition)}, not a revision of its own family ${familyArn(liveTaskDefinition)}`);
    }
  }
  if (problems.length) {
    throw new StepFailure(
      `release ${release.version} refused, nothing was changed: ${problems.join('; ')}. Rerun the pipeline from Pre_Deployment_Configuration; if release.json was not written by it, check who can write the artifact bucket`,
      'JobFailed',
    );
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StepFailure(`${where} is not JSON (${(err as Error).message})`, 'JobFailed');
  }
}

/** An image URI by digest split into what the ECR API takes. */
export function imageRef(uri: string): { repositoryName: string; imageDigest: string } | undefined {
  const m = /^[^/]+\/(.+)@(sha256:[0-9a-f]{64})$/.exec(uri);
  return m ? { repositoryName: m[1], imageDigest: m[2] } : undefined;
}

/** The ECR tag that protects an image of a kept release from the lifecycle policy (tags: at most 300 characters). */
export const keptTag = (prefix: string, version: string): string => `${prefix}${version}`.slice(0, 300);
