/**
 * release.json (Pre_Deployment_Configuration's output artifact, read by every stage after it) and
 * the kept-release record (UpdateDeployedVersion's item in the release-history table).
 */
import * as z from 'zod';

export const RELEASE_FILE = 'release.json';

/** Bump when release.json changes incompatibly (release.json carried `v: 1` from the start). */
export const RELEASE_VERSION = 1;

/** One service of a release. */
export const ReleaseService = z.object({
  /** Application name, as in the model. */
  app: z.string().min(1),
  /** ECS service name. */
  service: z.string().min(1),
  /** Task definition ARN the service ran when the release was prepared (what a rollback returns to). */
  previousTaskDefinition: z.string().min(1),
  /** Task definition ARN of the release. */
  taskDefinition: z.string().min(1),
});
export type ReleaseService = z.infer<typeof ReleaseService>;

/** release.json: what Pre_Deployment_Configuration registered, for the stages after it. */
export const ReleaseManifest = z.object({
  v: z.literal(RELEASE_VERSION),
  /** Environment name. */
  env: z.string().min(1),
  /** The version (commit hash) from images.json. */
  version: z.string().min(1),
  /** ISO 8601 time the release was prepared. */
  preparedAt: z.string().min(1),
  /** Every service of the model, application services then the scheduler. */
  services: z.array(ReleaseService),
});
export type ReleaseManifest = z.infer<typeof ReleaseManifest>;

/**
 * Bump when the kept-release record changes incompatibly. 1 was the SSM parameter-version record
 * (never in the table); every item in the table was written as 2.
 */
export const DEPLOYED_RELEASE_VERSION = 2;

/** The history table's local secondary index on `deployedAt` (KEYS_ONLY): the stack creates it, the handler queries it. */
export const DEPLOYED_AT_INDEX = 'deployedAt';

/**
 * What UpdateDeployedVersion keeps for a later rollback: one item per release in the
 * environment's release-history table (partition `env`, sort `version`), the newest
 * `keepReleases` by `deployedAt`. Task definitions are `family:revision`, images
 * `<repository uri>@sha256:<digest>`: a 50-service shop stays far inside DynamoDB's 400 KB item.
 */
export const DeployedRelease = z.object({
  v: z.literal(DEPLOYED_RELEASE_VERSION),
  env: z.string().min(1),
  version: z.string().min(1),
  /** The release.json it was recorded from (its `preparedAt`): the same release recorded again writes nothing. */
  releaseId: z.string().min(1),
  /** ISO 8601 time UpdateDeployedVersion recorded it: the newest `keepReleases` are kept. */
  deployedAt: z.string().min(1),
  /** ECS service name → task definition `family:revision` of the release. */
  taskDefinitions: z.record(z.string(), z.string()),
  /** Every image of the release (images.json): each carries the protective tag `keptTag(version)` while kept. */
  images: z.array(z.string()),
});
export type DeployedRelease = z.infer<typeof DeployedRelease>;
