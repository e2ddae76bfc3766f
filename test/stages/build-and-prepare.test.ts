import * as fs from 'fs';
import { Duration } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { demoServices } from '../../bin/demo';
import { BUILD_SCRIPT, DOCKER_SDK_BUILD_COMMANDS } from '../../lib';
import { actionOf, arnText, synthPipeline } from '../infra/helpers';

type Cfn = Record<string, any>;
type Synth = ReturnType<typeof synthPipeline>['template'];
const ACCOUNT_REGION = 'eu-central-1:111122223333';

const projectOf = (template: Synth): Cfn => {
  const projects = Object.values(template.findResources('AWS::CodeBuild::Project')) as Cfn[];
  expect(projects).toHaveLength(1);
  return projects[0].Properties;
};
const envOf = (template: Synth): Record<string, unknown> =>
  Object.fromEntries(projectOf(template).Environment.EnvironmentVariables.map((v: Cfn) => [v.Name, v.Value]));
const statementsOf = (template: Synth): Cfn[] =>
  (Object.values(template.findResources('AWS::IAM::Policy')) as Cfn[])
    .filter((p) => p.Properties.Roles.some((r: Cfn) => String(r.Ref).startsWith('PipelineBuildAndPrepareProjectRole')))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

describe('defaults (the demo shop: zed, yves, glue, backoffice; scheduler on jenkins)', () => {
  const { template } = synthPipeline({ environment: 'production', scheduler: { application: 'scheduler', containerImages: { jenkins: 'jenkins' } } });

  test('a privileged, large CodeBuild project with a Docker layer cache and its own log group', () => {
    const project = projectOf(template);
    expect(project.Environment).toMatchObject({ PrivilegedMode: true, ComputeType: 'BUILD_GENERAL1_LARGE', Image: 'aws/codebuild/standard:7.0' });
    expect(project.Cache).toEqual({ Type: 'LOCAL', Modes: ['LOCAL_DOCKER_LAYER_CACHE'] });
    expect(project.TimeoutInMinutes).toBe(60);
    expect(project.LogsConfig.CloudWatchLogs.GroupName.Ref).toMatch(/^PipelineBuildAndPrepareLogs/);
  });

  test('environment: every image of the services, the registry, the parameter, docker-sdk build commands', () => {
    expect(envOf(template)).toEqual({
      SPRYKER_ENVIRONMENT: 'production',
      SPRYKER_IMAGES: 'zed yves glue backoffice jenkins',
      ECR_REGISTRY: expect.anything(),
      LAST_BUILD_VERSION_PARAMETER: '/production/lastbuildversion',
      SPRYKER_DEPLOY_FILE: 'deploy.yml',
      SPRYKER_BUILD_COMMANDS: DOCKER_SDK_BUILD_COMMANDS.join('\n'),
    });
    expect(arnText(envOf(template).ECR_REGISTRY)).toBe('111122223333.dkr.ecr.eu-central-1.<AWS::URLSuffix>');
    expect(DOCKER_SDK_BUILD_COMMANDS.at(-1)).toBe('docker/sdk export images -t "$VERSION"');
  });

  test('the buildspec carries scripts/build-images.sh byte for byte and outputs images.json', () => {
    const spec = JSON.parse(projectOf(template).Source.BuildSpec);
    const [write, run] = spec.phases.build.commands as string[];
    const base64 = /^echo ([A-Za-z0-9+/=]+) \| base64 -d > \/tmp\/build-images\.sh$/.exec(write)?.[1];
    expect(Buffer.from(base64!, 'base64').toString('utf8')).toBe(fs.readFileSync(BUILD_SCRIPT, 'utf8'));
    expect(run).toBe('bash /tmp/build-images.sh');
    expect(spec.artifacts).toEqual({ files: ['images.json'] });
  });

  test('the action builds #{Versions.VERSION} from the source artifact and outputs the Images artifact', () => {
    const action = actionOf(template, 'Build_and_Prepare');
    expect(action.InputArtifacts).toEqual([{ Name: 'Source' }]);
    expect(action.OutputArtifacts).toEqual([{ Name: 'Images' }]);
    expect(JSON.parse(action.Configuration.EnvironmentVariables)).toEqual([
      { name: 'VERSION', type: 'PLAINTEXT', value: '#{Versions.VERSION}' },
      { name: 'SOURCE_VERSION', type: 'PLAINTEXT', value: '#{Versions.SOURCE_VERSION}' },
    ]);
  });

  test('one ECR repository per image: {env}-{image}, scan on push, immutable tags, kept releases protected, newest 30 others kept, retained', () => {
    const repos = Object.values(template.findResources('AWS::ECR::Repository')) as Cfn[];
    expect(repos.map((r) => r.Properties.RepositoryName)).toEqual(['production-zed', 'production-yves', 'production-glue', 'production-backoffice', 'production-jenkins']);
    for (const repo of repos) {
      expect(repo.DeletionPolicy).toBe('Retain');
      expect(repo.Properties.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
      expect(repo.Properties.ImageTagMutability).toBe('IMMUTABLE');
      const rules = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
      // ECR: an image matched by rule 1's tag selection is never expired by rule 2.
      expect(rules).toEqual([
        expect.objectContaining({ rulePriority: 1, selection: { tagStatus: 'tagged', tagPrefixList: ['kept-'], countType: 'imageCountMoreThan', countNumber: 110 }, action: { type: 'expire' } }),
        expect.objectContaining({ rulePriority: 2, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 }, action: { type: 'expire' } }),
      ]);
    }
  });

  test('IAM: ECR actions only on its repositories, PutParameter only on lastbuildversion, the only "*" is ECR login', () => {
    const statements = statementsOf(template);
    const ecrPush = statements.find((s) => list(s.Action).includes('ecr:PutImage'))!;
    expect(list(ecrPush.Action)).toEqual(expect.arrayContaining(['ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:CompleteLayerUpload']));
    expect(list(ecrPush.Resource).map((r: Cfn) => r['Fn::GetAtt'])).toEqual(
      ['zed', 'yves', 'glue', 'backoffice', 'jenkins'].map((k) => [expect.stringMatching(new RegExp(`^PipelineBuildAndPrepareImages${k}`)), 'Arn']),
    );
    expect(statements.filter((s) => list(s.Action).some((a: string) => a.startsWith('ecr:')))).toHaveLength(2);
    const ssm = statements.filter((s) => list(s.Action).some((a: string) => a.startsWith('ssm:')));
    expect(ssm).toEqual([expect.objectContaining({ Action: 'ssm:PutParameter' })]);
    expect(arnText(ssm[0].Resource)).toBe(`arn:aws:ssm:${ACCOUNT_REGION}:parameter/production/lastbuildversion`);
    const star = statements.filter((s) => list(s.Resource).includes('*'));
    expect(star).toEqual([expect.objectContaining({ Action: 'ecr:GetAuthorizationToken' })]);
  });
});

test('a 50-service shop: one ECR statement for all repositories keeps the role policy far below IAM limits', () => {
  const { template } = synthPipeline({ services: demoServices(50) });
  expect(Object.keys(template.findResources('AWS::ECR::Repository'))).toHaveLength(51);
  const size = JSON.stringify(statementsOf(template)).length;
  expect(size).toBeLessThan(10_240); // IAM: inline policies of a role, 10,240 characters in all
});

test('a project replaces the images, the build commands, the image, the repositories and their retention', () => {
  const { template } = synthPipeline({
    scheduler: { application: 'scheduler', containerImages: { jenkins: 'zed' } },
    services: [{ application: 'zed' }, { application: 'yves', containerImages: { yves: 'yves', nginx: 'frontend' } }],
    build: {
      images: ['zed', 'yves', 'frontend'],
      buildCommands: ['make images >&2', 'cat build/images.txt'],
      deployFile: 'deploy.staging.yml',
      buildImage: codebuild.LinuxBuildImage.AMAZON_LINUX_2_ARM_3,
      computeType: codebuild.ComputeType.X2_LARGE,
      timeout: Duration.minutes(90),
      importRepositories: true,
    },
  });
  expect(envOf(template)).toMatchObject({ SPRYKER_IMAGES: 'zed yves frontend', SPRYKER_BUILD_COMMANDS: 'make images >&2\ncat build/images.txt', SPRYKER_DEPLOY_FILE: 'deploy.staging.yml' });
  expect(projectOf(template).Environment).toMatchObject({ ComputeType: 'BUILD_GENERAL1_2XLARGE', Type: 'ARM_CONTAINER' });
  expect(projectOf(template).TimeoutInMinutes).toBe(90);
  expect(template.findResources('AWS::ECR::Repository')).toEqual({});
  const ecrPush = statementsOf(template).find((s) => list(s.Action).includes('ecr:PutImage'))!;
  expect(list(ecrPush.Resource).map((r) => arnText(r))).toEqual(
    ['zed', 'yves', 'frontend'].map((k) => `arn:aws:ecr:${ACCOUNT_REGION}:repository/staging-${k}`),
  );
});

test('keepImages and releaseHistory set the lifecycle rules', () => {
  const { template } = synthPipeline({ build: { keepImages: 100 }, releaseHistory: 250 });
  const repo = Object.values(template.findResources('AWS::ECR::Repository'))[0] as Cfn;
  const rules = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
  expect(rules.map((r: Cfn) => r.selection.countNumber)).toEqual([260, 100]);
});

test('build props are validated: an image a service runs but the build does not produce, and every other problem at once', () => {
  expect(() =>
    synthPipeline({
      build: { images: ['zed', 'yves', 'glue', 'Bad Key', 'zed'], keepImages: 0, timeout: Duration.minutes(2), buildCommands: [' '] },
    }),
  ).toThrow(
    new RegExp(
      [
        "build\\.images\\[3\\]: 'Bad Key' is not allowed",
        "build\\.images\\[4\\]: 'zed' is listed twice",
        "services\\[3\\]\\.containerImages: image 'backoffice' is not in build\\.images",
        "scheduler\\.containerImages: image 'scheduler' is not in build\\.images",
        'build\\.buildCommands: is empty',
        'build\\.keepImages: 0 is not allowed',
        'build\\.timeout: must be between 5 minutes and 36 hours',
      ].join('[\\s\\S]*'),
    ),
  );
});
