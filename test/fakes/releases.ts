/**
 * The release-keeping side of the fake account: the environment's ECR repositories with the
 * lifecycle policy lib/images.ts synthesizes, the release-history table, and Build_and_Prepare's
 * ECR behaviour (scripts/build-images.sh: describe `{env}-{key}:{version}`, push only what is missing).
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { UpdateDeployedVersionParams } from '../../lib/contracts/params';
import { KEPT_TAG_PREFIX, repositoryName, SprykerImages } from '../../lib/images';
import { releaseTableName } from '../../lib/release-history';
import type { FakeAws } from './aws';
import { IMAGES_INPUT, putArtifact, RELEASE_OUTPUT } from './shop';

export const RELEASE_TABLE = releaseTableName('production');

/** UpdateDeployedVersion's parameters as the stage renders them. */
export const updateParams = (keepReleases: number): UpdateDeployedVersionParams => ({
  parameter: '/production/lastdeployedversion',
  releaseTable: RELEASE_TABLE,
  keepReleases,
  keptTagPrefix: KEPT_TAG_PREFIX,
  releaseArtifact: RELEASE_OUTPUT.name,
  imagesArtifact: IMAGES_INPUT.name,
});

/** The lifecycle policy text SprykerImages puts on a created repository. */
export function synthesizedLifecyclePolicy(keepReleases: number, keepImages?: number): string {
  const stack = new Stack(new App(), 'Images');
  new SprykerImages(stack, 'Images', { environment: 'production', images: ['zed'], keepReleases, keepImages });
  const repos = Template.fromStack(stack).findResources('AWS::ECR::Repository');
  return Object.values(repos)[0].Properties.LifecyclePolicy.LifecyclePolicyText as string;
}

/** Repositories `production-{key}` with the synthesized policy, and the release-history table. */
export function setupReleaseKeeping(aws: FakeAws, imageKeys: string[], keepReleases: number): void {
  const policy = synthesizedLifecyclePolicy(keepReleases);
  for (const key of imageKeys) aws.ecr.createRepository(repositoryName('production', key), policy);
  aws.dynamodb.createTable(RELEASE_TABLE, { partitionKey: 'env', sortKey: 'version', indexes: { deployedAt: 'deployedAt' } });
}

/**
 * Build_and_Prepare for a version: each `production-{key}:{version}` found in ECR is used, a
 * missing one is built and pushed; writes images.json. Returns the keys it had to build.
 */
export async function build(aws: FakeAws, version: string, imageKeys: string[]): Promise<{ built: string[]; images: Record<string, string> }> {
  const ecr = new ECRClient(aws.deps().clientConfig!);
  const built: string[] = [];
  const images: Record<string, string> = {};
  for (const key of imageKeys) {
    const repo = repositoryName('production', key);
    try {
      const out = await ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: version }] }));
      images[key] = `${aws.ecr.registry}/${repo}@${out.imageDetails![0].imageDigest}`;
    } catch (err) {
      if ((err as { name?: string }).name !== 'ImageNotFoundException') throw err;
      images[key] = aws.ecr.push(repo, version);
      built.push(key);
    }
  }
  putArtifact(aws, IMAGES_INPUT, { 'images.json': JSON.stringify({ version, images }) });
  return { built, images };
}
