import * as fs from 'fs';
import * as path from 'path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { SprykerBuildProps } from '../config/types';
import { imageKeys as serviceImageKeys } from '../contracts/image-repository';
import { SprykerImages } from '../images';
import { acknowledge, acknowledgeGrantWildcard, nagFlatten } from '../nag';
import type { SprykerVersions } from '../versions';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface BuildAndPrepareStageProps extends SprykerStageProps {
  /** The version to build: `#{Versions.VERSION}`. */
  readonly version: string;
  /** The commit the source artifact holds: `#{Versions.SOURCE_VERSION}`. */
  readonly sourceVersion: string;
  /** The environment's version parameters: the build records `lastbuildversion`. */
  readonly versions: SprykerVersions;
  /** @default - defaults of SprykerBuildProps */
  readonly build?: SprykerBuildProps;
  /** Releases kept for rollback: their images never expire. @default 100 */
  readonly keepReleases?: number;
  /** Retention of the build logs. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The source has no git (S3): record the content's hash on each image and refuse to reuse an
   * image of the version built from other content (the version is only upload metadata).
   * @default false
   */
  readonly contentIdentity?: boolean;
}

/**
 * The docker-sdk commit the default build clones when the repository does not carry `./docker`
 * (a commit of github.com/spryker/docker-sdk; docker-sdk documents a hash as a pinned version).
 * Set `build.dockerSdkCommit` to the release your project uses.
 */
export const DEFAULT_DOCKER_SDK_COMMIT = '323742a207a7b75509aaa10e8af4c122d730ee77';

/**
 * docker-sdk's production image build (`docker/sdk export images -t <tag>`): it prints
 * `<application key> <prefix>_app:<tag>-<key>` per application and `frontend <prefix>_frontend:<tag>-frontend`
 * (bin/sdk/images/common.sh, Images::printAll). It builds the Jenkins image only when it pushes to
 * its own repositories (`-d ecr`): the last command builds it as docker-sdk does there, from
 * docker-sdk's Jenkins Dockerfile on the application image, as `<prefix>_jenkins:<tag>`. Spryker
 * projects keep docker-sdk in `./docker`; otherwise the pinned commit (`$DOCKER_SDK_COMMIT`) is
 * cloned, and HEAD is checked to be it before anything of it runs in the privileged build.
 */
export const DOCKER_SDK_BUILD_COMMANDS = [
  'if [ ! -x docker/sdk ]; then git clone --quiet https://github.com/spryker/docker-sdk.git docker >&2 && git -C docker checkout --quiet --detach "$DOCKER_SDK_COMMIT" >&2; ' +
    'test "$(git -C docker rev-parse HEAD)" = "$DOCKER_SDK_COMMIT" || { echo "docker-sdk is not at the pinned commit $DOCKER_SDK_COMMIT" >&2; exit 1; }; fi',
  'docker/sdk boot "$SPRYKER_DEPLOY_FILE" >&2',
  'listing="$(mktemp)"',
  'docker/sdk export images -t "$VERSION" | tee "$listing"',
  'app="$(awk \'$2 ~ /_app:/ { print $2; exit }\' "$listing")"; [ -n "$app" ] || { echo "docker/sdk export images printed no application image" >&2; exit 1; }',
  'docker build -t "${app%%_app:*}_jenkins:$VERSION" -f docker/images/common/services/jenkins/export/Dockerfile --build-arg "SPRYKER_PARENT_IMAGE=$app" docker/ >&2',
  'echo "jenkins ${app%%_app:*}_jenkins:$VERSION"',
];

/** The build logic; the buildspec carries it, so CodeBuild needs nothing from the project's repository but its code. */
export const BUILD_SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'build-images.sh');

/**
 * Build_and_Prepare (SCCOS's Build_Push_if_not_exist): a privileged CodeBuild project running
 * scripts/build-images.sh, which builds and pushes only the `{env}-{image}:{version}` images missing
 * in ECR and outputs images.json (`{"version", "images": {key: "repo@sha256:…"}}`).
 */
export class BuildAndPrepareStage extends SprykerStage {
  public readonly stageName = 'Build_and_Prepare';
  public readonly actions: codepipeline.IAction[];
  public readonly project: codebuild.PipelineProject;
  /** The ECR repositories, by image key. */
  public readonly images: SprykerImages;

  constructor(scope: Construct, id: string, props: BuildAndPrepareStageProps) {
    super(scope, id);
    const { deployment, artifacts, versions } = props;
    const build = props.build ?? {};
    const env = deployment.environment;
    const stack = Stack.of(this);
    const imageKeys = build.images ?? serviceImageKeys(deployment.services('all'));
    this.images = new SprykerImages(this, 'Images', {
      environment: env,
      images: imageKeys,
      importExisting: build.importRepositories,
      keepImages: build.keepImages,
      keepReleases: props.keepReleases,
    });

    const script = fs.readFileSync(BUILD_SCRIPT);
    this.project = new codebuild.PipelineProject(this, 'Project', {
      description: `${env}: builds Spryker images that are missing in ECR`,
      environment: {
        buildImage: build.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0,
        privileged: true,
        computeType: build.computeType ?? codebuild.ComputeType.LARGE,
      },
      timeout: build.timeout ?? Duration.hours(1),
      // Docker layers of the last build on the same host: unchanged layers (base images, composer) are not rebuilt.
      cache: codebuild.Cache.local(codebuild.LocalCacheMode.DOCKER_LAYER),
      logging: {
        cloudWatch: {
          logGroup: new logs.LogGroup(this, 'Logs', {
            retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
            removalPolicy: RemovalPolicy.RETAIN,
          }),
        },
      },
      environmentVariables: {
        SPRYKER_ENVIRONMENT: { value: env },
        SPRYKER_IMAGES: { value: imageKeys.join(' ') },
        ECR_REGISTRY: { value: `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}` },
        LAST_BUILD_VERSION_PARAMETER: { value: versions.names.lastBuildVersion },
        SPRYKER_DEPLOY_FILE: { value: build.deployFile ?? 'deploy.yml' },
        SPRYKER_BUILD_COMMANDS: { value: (build.buildCommands ?? DOCKER_SDK_BUILD_COMMANDS).join('\n') },
        DOCKER_SDK_COMMIT: { value: build.dockerSdkCommit ?? DEFAULT_DOCKER_SDK_COMMIT },
        ...(props.contentIdentity && { SPRYKER_SOURCE_IDENTITY: { value: 'content' } }),
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          build: {
            commands: [
              // scripts/build-images.sh of this construct library, base64 so that no quoting can break it.
              `echo ${script.toString('base64')} | base64 -d > /tmp/build-images.sh`,
              'bash /tmp/build-images.sh',
            ],
          },
        },
        artifacts: { files: ['images.json'] },
      }),
    });
    this.images.grantBuild(this.project);
    versions.grantWrite(this.project, 'lastBuildVersion');
    this.acknowledge();

    this.actions = [
      new actions.CodeBuildAction({
        actionName: 'Build_and_Prepare',
        project: this.project,
        input: artifacts.source,
        outputs: [artifacts.images],
        environmentVariables: { VERSION: { value: props.version }, SOURCE_VERSION: { value: props.sourceVersion } },
      }),
    ];
  }

  private acknowledge(): void {
    const project = this.project;
    acknowledge(project, 'AwsSolutions-CB3', 'privileged mode runs the Docker daemon that builds the Spryker images');
    acknowledge(
      project,
      'AwsSolutions-CB4',
      "the build's only artifact is images.json (image digests, no secrets) in the pipeline's encrypted artifact bucket; a customer key would add key policies for every later action without protecting anything",
    );
    acknowledgeGrantWildcard(project.role!, 'AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken (docker login to ECR) supports no resource-level permissions', ['ecr:GetAuthorizationToken']);
    acknowledgeProjectGrants(project);
  }
}

/** cdk-nag acknowledgements of the wildcards CDK grants every CodeBuild project: its own log streams and report groups. */
export function acknowledgeProjectGrants(project: codebuild.PipelineProject): void {
  const stack = Stack.of(project);
  const own = {
    [stack.formatArn({ service: 'logs', resource: 'log-group', arnFormat: ArnFormat.COLON_RESOURCE_NAME, resourceName: `/aws/codebuild/${project.projectName}:*` })]:
      "CDK's grant for the project's default log streams, in its own log group",
    [stack.formatArn({ service: 'codebuild', resource: 'report-group', resourceName: `${project.projectName}-*` })]:
      "CDK's grant for the project's own test report groups, which are named after it",
  };
  for (const [arn, reason] of Object.entries(own)) acknowledge(project, `AwsSolutions-IAM5[Resource::${nagFlatten(project, arn)}]`, reason);
}
