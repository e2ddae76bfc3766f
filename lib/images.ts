import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { repositoryName } from './contracts/image-repository';

export interface SprykerImagesProps {
  /** Environment name: repositories are `{env}-{image key}`. */
  readonly environment: string;
  /** Image keys (the values of the services' `containerImages`). */
  readonly images: string[];
  /**
   * Use existing repositories `{env}-{image key}` instead of creating them.
   * @default false
   */
  readonly importExisting?: boolean;
  /**
   * Images a created repository keeps besides those of kept releases: the newest N, older ones
   * expire. A rollback to an expired version rebuilds it from its commit.
   * @default 30
   */
  readonly keepImages?: number;
  /**
   * Releases kept for rollback (UpdateDeployedVersion tags their images `kept-<version>`): a
   * created repository never expires an image with that tag while at most this many (plus a
   * margin of KEPT_MARGIN for tags a failed prune left behind) carry one.
   * @default 100
   */
  readonly keepReleases?: number;
}

/** Prefix of the tag that protects an image of a kept release from the lifecycle policy (version tags are hex: never this). */
export const KEPT_TAG_PREFIX = 'kept-';
/** Protected images beyond the kept releases that the first lifecycle rule tolerates before it expires the oldest pushed. */
export const KEPT_MARGIN = 10;

export { repositoryName } from './contracts/image-repository';

/**
 * One ECR repository per application image: scan on push, immutable tags (a version's image is
 * never replaced, so images.json digests and rollbacks stay true). Lifecycle, as ECR evaluates it
 * (an image that matches the tag selection of a rule is never expired by a lower-priority rule):
 * rule 1 selects the images of kept releases (`kept-` tags) and expires only beyond
 * `keepReleases` + KEPT_MARGIN of them; rule 2 expires every other image beyond the newest `keepImages`.
 */
export class SprykerImages extends Construct {
  public readonly repositories: Record<string, ecr.IRepository> = {};

  constructor(scope: Construct, id: string, props: SprykerImagesProps) {
    super(scope, id);
    const keep = props.keepImages ?? 30;
    const keepReleases = props.keepReleases ?? 100;
    for (const image of props.images) {
      const name = repositoryName(props.environment, image);
      this.repositories[image] = props.importExisting
        ? ecr.Repository.fromRepositoryName(this, image, name)
        : new ecr.Repository(this, image, {
            repositoryName: name,
            imageScanOnPush: true,
            imageTagMutability: ecr.TagMutability.IMMUTABLE,
            lifecycleRules: [
              {
                rulePriority: 1,
                description: `images of the kept releases (tag ${KEPT_TAG_PREFIX}<version>): never expired by rule 2`,
                tagStatus: ecr.TagStatus.TAGGED,
                tagPrefixList: [KEPT_TAG_PREFIX],
                maxImageCount: keepReleases + KEPT_MARGIN,
              },
              { rulePriority: 2, description: `any other image: the newest ${keep} are kept`, tagStatus: ecr.TagStatus.ANY, maxImageCount: keep },
            ],
            // Running tasks and rollbacks reference these images.
            removalPolicy: RemovalPolicy.RETAIN,
          });
    }
  }

  /**
   * Keep a release (UpdateDeployedVersion): read an image's manifest, put it again with the
   * protective tag, remove that tag when the release is pruned. On these repositories only.
   */
  public grantKeep(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:BatchDeleteImage'],
      resourceArns: Object.values(this.repositories).map((r) => r.repositoryArn),
    });
  }

  /**
   * Check for, pull and push images of every repository (Build_and_Prepare): one statement for
   * all repositories, so that 50 images stay far inside IAM's policy size limit.
   */
  public grantBuild(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'ecr:DescribeImages',
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchGetImage',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
      ],
      resourceArns: Object.values(this.repositories).map((r) => r.repositoryArn),
    });
    // docker login; the token is only good for the repositories above.
    ecr.AuthorizationToken.grantRead(grantee);
  }
}
