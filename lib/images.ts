import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

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
   * Images a created repository keeps: the newest N versions, older ones expire. A rollback to an
   * expired version rebuilds it from its commit.
   * @default 30
   */
  readonly keepImages?: number;
}

/** The ECR repository name of an image of an environment. */
export const repositoryName = (env: string, image: string) => `${env}-${image}`;

/**
 * One ECR repository per application image: scan on push, immutable tags (a version's image is
 * never replaced, so images.json digests and rollbacks stay true), newest `keepImages` kept.
 */
export class SprykerImages extends Construct {
  public readonly repositories: Record<string, ecr.IRepository> = {};

  constructor(scope: Construct, id: string, props: SprykerImagesProps) {
    super(scope, id);
    const keep = props.keepImages ?? 30;
    for (const image of props.images) {
      const name = repositoryName(props.environment, image);
      this.repositories[image] = props.importExisting
        ? ecr.Repository.fromRepositoryName(this, image, name)
        : new ecr.Repository(this, image, {
            repositoryName: name,
            imageScanOnPush: true,
            imageTagMutability: ecr.TagMutability.IMMUTABLE,
            lifecycleRules: [{ description: `keep the newest ${keep} images for rollback`, maxImageCount: keep }],
            // Running tasks and rollbacks reference these images.
            removalPolicy: RemovalPolicy.RETAIN,
          });
    }
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
