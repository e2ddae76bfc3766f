/**
 * Integration test on real AWS (integ-runner convention; docs/integ.md): a tiny Fargate "shop"
 * (zed, yves and a scheduler from a public sample image: V1), SprykerPipeline on it (S3 source, no
 * broker, no approval, no maintenance), and assertions that deploy V2 through the pipeline and check
 * that the services run it and /integ/lastdeployedversion moved.
 * `npx @aws-cdk/integ-runner@2 --directory test/integ --app "npx tsx {filePath}" --update-on-failed`
 */
import * as path from 'path';
import { App, Aspects, CfnResource, Duration, RemovalPolicy, Stack, type IAspect } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import type { Construct, IConstruct } from 'constructs';
import { SprykerPipeline } from '../../lib';

export const ENVIRONMENT = 'integ';
/** V1 of every service: a public sample image, pulled without credentials. */
export const V1_IMAGE = 'public.ecr.aws/nginx/nginx:stable';
/** The version the test deploys: the `commit` metadata of the uploaded source. */
export const V2 = 'a2'.repeat(20);

/**
 * The build: no Spryker code to build, so each image is the sample image with the version as a
 * label (a new digest per version, like a real release), printed as `<image key> <local image>`
 * (docker-sdk's export format). build-images.sh then pushes it to ECR as it would a Spryker image.
 */
export const INTEG_BUILD_COMMANDS = [
  'for key in zed yves jenkins; do ' +
    `printf 'FROM ${V1_IMAGE}\\nLABEL org.opencontainers.image.version=%s\\n' "$VERSION" | docker build -q -t "integ/$key:$VERSION" - >&2; ` +
    'echo "$key integ/$key:$VERSION"; done',
];

/**
 * The sample image has no Spryker console, but each hook stage runs `vendor/bin/console
 * scheduler:...` after its hook in the same task: the hook writes a stand-in that only echoes.
 */
const CONSOLE_STAND_IN = `mkdir -p vendor/bin && printf '#!/bin/sh\\necho "console $*"\\n' > vendor/bin/console && chmod +x vendor/bin/console`;

/** Everything goes with the stack, except buckets that still hold objects (CloudFormation cannot delete those). */
class DestroyOnDelete implements IAspect {
  constructor(private readonly keep: IConstruct[]) {}
  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || this.keep.some((k) => node.node.path.startsWith(k.node.path + '/'))) return;
    node.applyRemovalPolicy(RemovalPolicy.DESTROY);
    // The build pushes images: a repository with images is deleted only when emptied on delete.
    if (node instanceof ecr.CfnRepository) node.emptyOnDelete = true;
  }
}

export class IntegShopStack extends Stack {
  public readonly cluster: ecs.Cluster;
  public readonly services: Record<'zed' | 'yves' | 'scheduler', ecs.FargateService>;
  public readonly sourceBucket: s3.Bucket;
  public readonly sprykerPipeline: SprykerPipeline;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Public subnets only, no NAT gateway: tasks get a public IP to pull images (cost, docs/integ.md).
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }] });
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc, clusterName: `${ENVIRONMENT}-shop` });
    const logGroup = new logs.LogGroup(this, 'Logs', { logGroupName: `/ecs/${ENVIRONMENT}-shop`, retention: logs.RetentionDays.ONE_DAY });

    const service = (application: string, container: string): ecs.FargateService => {
      const taskDefinition = new ecs.FargateTaskDefinition(this, `${application}Task`, { family: `${ENVIRONMENT}-${application}`, cpu: 256, memoryLimitMiB: 512 });
      taskDefinition.addContainer(container, {
        image: ecs.ContainerImage.fromRegistry(V1_IMAGE),
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: application }),
      });
      return new ecs.FargateService(this, `${application}Service`, {
        cluster: this.cluster,
        serviceName: `${ENVIRONMENT}-${application}`,
        taskDefinition,
        desiredCount: 1,
        assignPublicIp: true,
        minHealthyPercent: 0,
        circuitBreaker: { enable: true },
      });
    };
    this.services = { zed: service('zed', 'zed'), yves: service('yves', 'yves'), scheduler: service('scheduler', 'jenkins') };

    this.sourceBucket = new s3.Bucket(this, 'Source', { versioned: true, enforceSSL: true, removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    this.sprykerPipeline = new SprykerPipeline(this, 'Pipeline', {
      environment: ENVIRONMENT,
      production: false,
      cluster: this.cluster,
      services: [
        { application: 'zed', service: this.services.zed },
        { application: 'yves', service: this.services.yves },
      ],
      scheduler: { application: 'scheduler', service: this.services.scheduler, containerImages: { jenkins: 'jenkins' } },
      hooks: {
        beforeDeploy: `${CONSOLE_STAND_IN} && echo pre-deploy`,
        install: `${CONSOLE_STAND_IN} && echo install`,
        afterDeploy: 'echo post-deploy',
      },
      hookTimeouts: { beforeDeploy: Duration.minutes(10), install: Duration.minutes(10), afterDeploy: Duration.minutes(10) },
      source: { s3: { bucket: this.sourceBucket, key: 'source.zip' } },
      // A release diff needs git: an S3 zip has none.
      approval: { enabled: false, releaseDiff: false },
      build: { buildCommands: INTEG_BUILD_COMMANDS, computeType: codebuild.ComputeType.SMALL, timeout: Duration.minutes(20), keepImages: 2 },
      logRetention: logs.RetentionDays.ONE_DAY,
      rollbackOnFailure: false,
    });
    // The artifact bucket holds the runs' artifacts and has no auto-delete: it stays (docs/integ.md, tear-down).
    const artifactBucket = this.sprykerPipeline.pipeline.artifactBucket;
    Aspects.of(this).add(new DestroyOnDelete([artifactBucket]));
  }
}

export function buildIntegApp(app = new App()): { app: App; stack: IntegShopStack; integ: IntegTest } {
  const stack = new IntegShopStack(app, 'SprykerPipelineInteg');
  const integ = new IntegTest(app, 'SprykerPipelineIntegTest', {
    testCases: [stack],
    // One deployment; the runner destroys the stacks after the assertions.
    stackUpdateWorkflow: false,
    cdkCommandOptions: { destroy: { args: { force: true } } },
  });
  const v2Source = new s3assets.Asset(stack, 'SourceV2', { path: path.join(__dirname, 'source-v2') });
  const pipelineName = stack.sprykerPipeline.pipeline.pipelineName;
  const a = integ.assertions;

  // The stack leaves the version parameters at teardown (they keep their value on purpose): one left
  // from an earlier run would hold V2 already, and the check below would prove nothing.
  const fresh = a
    .awsApiCall('SSM', 'getParameter', { Name: `/${ENVIRONMENT}/lastdeployedversion` })
    .expect(ExpectedResult.objectLike({ Parameter: { Value: 'none' } }));
  // Upload V2: the source object, its version in the `commit` metadata.
  const upload = a.awsApiCall('S3', 'copyObject', {
    Bucket: stack.sourceBucket.bucketName,
    Key: 'source.zip',
    CopySource: `${v2Source.s3BucketName}/${v2Source.s3ObjectKey}`,
    Metadata: { commit: V2 },
    MetadataDirective: 'REPLACE',
  });
  // The provider grants `s3:CopyObject` from the API's name, which is no IAM action: a copy reads the source and writes the target.
  upload.provider.addToRolePolicy({
    Effect: 'Allow',
    Action: ['s3:GetObject', 's3:PutObject'],
    Resource: [v2Source.bucket.arnForObjects(v2Source.s3ObjectKey), stack.sourceBucket.arnForObjects('source.zip')],
  });
  const start = a.awsApiCall('CodePipeline', 'startPipelineExecution', { name: pipelineName });
  const finished = a
    .awsApiCall('CodePipeline', 'getPipelineExecution', { pipelineName, pipelineExecutionId: start.getAttString('pipelineExecutionId') }, ['pipelineExecution.status'])
    .assertAtPath('pipelineExecution.status', ExpectedResult.exact('Succeeded'))
    .waitForAssertions({ totalTimeout: Duration.minutes(60), interval: Duration.minutes(1), backoffRate: 1 });
  const recorded = a
    .awsApiCall('SSM', 'getParameter', { Name: `/${ENVIRONMENT}/lastdeployedversion` })
    .expect(ExpectedResult.objectLike({ Parameter: { Value: V2 } }));
  fresh.next(upload).next(start).next(finished).next(recorded);

  // Each service runs a revision the pipeline registered (the stack registered revision 1), with the V2 image from ECR
  // (repository `{env}-{image key}`; here each image key is its container's name). The checks are
  // at paths of the flattened answer, which is also all the custom resource returns: a whole
  // DescribeServices answer (events included) is beyond a custom resource's 4 KB of data.
  for (const [application, container] of [['zed', 'zed'], ['yves', 'yves'], ['scheduler', 'jenkins']] as const) {
    const family = `${ENVIRONMENT}-${application}`;
    const service = { cluster: stack.cluster.clusterName, services: [family] };
    const revision = a
      .awsApiCall('ECS', 'describeServices', service, ['services.0.taskDefinition'])
      .assertAtPath('services.0.taskDefinition', ExpectedResult.stringLikeRegexp(`:task-definition/${family}:([2-9]|[1-9][0-9]+)$`));
    const running = a.awsApiCall('ECS', 'describeServices', service, ['services.0.runningCount']).assertAtPath('services.0.runningCount', ExpectedResult.exact(1));
    const image = a
      .awsApiCall('ECS', 'describeTaskDefinition', { taskDefinition: revision.getAttString('services.0.taskDefinition') }, ['taskDefinition.containerDefinitions.0.image'])
      .assertAtPath(
        'taskDefinition.containerDefinitions.0.image',
        ExpectedResult.stringLikeRegexp(`\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/${ENVIRONMENT}-${container}@sha256:`),
      );
    recorded.next(revision).next(running).next(image);
  }
  return { app, stack, integ };
}

if (require.main === module) buildIntegApp().app.synth();
