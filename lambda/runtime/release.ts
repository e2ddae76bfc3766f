/**
 * The artifacts that carry a release between stages (documented in docs/step-handlers.md):
 * images.json in (Build_and_Prepare), release.json out (Pre_Deployment_Configuration) and in
 * (Deploy_*, Run_install, UpdateDeployedVersion, Post_Deployment_Configuration, Run_post-deploy_hook).
 */
import { StepFailure } from './job';

export const IMAGES_FILE = 'images.json';
export const RELEASE_FILE = 'release.json';
/** Bump when release.json changes incompatibly. */
export const RELEASE_VERSION = 1;

/** images.json: the build's image manifest. */
export interface ImagesManifest {
  /** The version (commit hash) the images were built from. */
  readonly version: string;
  /** Image key (a service's `containers` value) → `<repository uri>@sha256:<digest>`. */
  readonly images: Record<string, string>;
}

/** One service of a release. */
export interface ReleaseService {
  /** Application name, as in the model. */
  readonly app: string;
  /** ECS service name. */
  readonly service: string;
  /** Task definition ARN the service ran when the release was prepared (what a rollback returns to). */
  readonly previousTaskDefinition: string;
  /** Task definition ARN of the release. */
  readonly taskDefinition: string;
}

/** release.json: what Pre_Deployment_Configuration registered, for the stages after it. */
export interface ReleaseManifest {
  readonly v: typeof RELEASE_VERSION;
  /** Environment name. */
  readonly env: string;
  /** The version (commit hash) from images.json. */
  readonly version: string;
  /** ISO 8601 time the release was prepared. */
  readonly preparedAt: string;
  /** Every service of the model, application services then the scheduler. */
  readonly services: ReleaseService[];
}

export function parseImages(text: string, where: string): ImagesManifest {
  const m = parseJson(text, where) as Partial<ImagesManifest>;
  const images = m.images as Record<string, unknown> | undefined;
  const ok =
    typeof m.version === 'string' &&
    m.version !== '' &&
    typeof images === 'object' &&
    images !== null &&
    Object.values(images).every((v) => typeof v === 'string' && v !== '');
  if (!ok) {
    throw new StepFailure(
      `${where} is not an image manifest: expected {"version": "<commit>", "images": {"<image key>": "<repo>@sha256:<digest>"}}: check Build_and_Prepare's output`,
      'JobFailed',
    );
  }
  return m as ImagesManifest;
}

export function parseRelease(text: string, where: string): ReleaseManifest {
  const m = parseJson(text, where) as Partial<ReleaseManifest>;
  if (m.v !== RELEASE_VERSION || typeof m.version !== 'string' || !Array.isArray(m.services)) {
    throw new StepFailure(
      `${where} is not a release manifest of version ${RELEASE_VERSION} (got v=${JSON.stringify(m.v)}): rerun Pre_Deployment_Configuration`,
      'JobFailed',
    );
  }
  return m as ReleaseManifest;
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
    else if (typeof entry.taskDefinition !== 'string' || familyArn(entry.taskDefinition) !== familyArn(liveTaskDefinition)) {
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

/** Bump when the kept-release record changes incompatibly (1 was the SSM parameter-version record). */
export const DEPLOYED_RELEASE_VERSION = 2;

/**
 * What UpdateDeployedVersion keeps for a later rollback: one item per release in the
 * environment's release-history table (partition `env`, sort `version`), the newest
 * `keepReleases` by `deployedAt`. Task definitions are `family:revision`, images
 * `<repository uri>@sha256:<digest>`: a 50-service shop stays far inside DynamoDB's 400 KB item.
 */
export interface DeployedRelease {
  readonly v: typeof DEPLOYED_RELEASE_VERSION;
  readonly env: string;
  readonly version: string;
  /** The release.json it was recorded from (its `preparedAt`): the same release recorded again writes nothing. */
  readonly releaseId: string;
  /** ISO 8601 time UpdateDeployedVersion recorded it: the newest `keepReleases` are kept. */
  readonly deployedAt: string;
  /** ECS service name → task definition `family:revision` of the release. */
  readonly taskDefinitions: Record<string, string>;
  /** Every image of the release (images.json): each carries the protective tag `keptTag(version)` while kept. */
  readonly images: string[];
}

/** An image URI by digest split into what the ECR API takes. */
export function imageRef(uri: string): { repositoryName: string; imageDigest: string } | undefined {
  const m = /^[^/]+\/(.+)@(sha256:[0-9a-f]{64})$/.exec(uri);
  return m ? { repositoryName: m[1], imageDigest: m[2] } : undefined;
}

/** The ECR tag that protects an image of a kept release from the lifecycle policy (tags: at most 300 characters). */
export const keptTag = (prefix: string, version: string): string => `${prefix}${version}`.slice(0, 300);
