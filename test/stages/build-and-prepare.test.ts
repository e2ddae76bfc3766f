import * as fs from 'fs';
import { execFileSync, spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { demoServices } from '../../bin/demo';
import { BUILD_SCRIPT, DEFAULT_DOCKER_SDK_COMMIT, DOCKER_SDK_BUILD_COMMANDS } from '../../lib';
import { actionOf, arnText, synthPipeline } from '../infra/helpers';

type Cfn = Record<string, any>;
type Synth = ReturnType<typeof synthPipeline>['template'];
const ACCOUNT_REGION = 'eu-central-1:111122223333';

const projectOf = (template: Synth): Cfn => {
  // A git source adds Please_approve's Release_facts project: Build_and_Prepare's is the other one.
  const projects = (Object.values(template.findResources('AWS::CodeBuild::Project')) as Cfn[]).filter((p) => !p.Properties.Description?.includes('git facts'));
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
      DOCKER_SDK_COMMIT: DEFAULT_DOCKER_SDK_COMMIT,
      // The default source is S3: the content's identity is recorded on the images.
      SPRYKER_SOURCE_IDENTITY: 'content',
    });
    expect(arnText(envOf(template).ECR_REGISTRY)).toBe('111122223333.dkr.ecr.eu-central-1.<AWS::URLSuffix>');
    expect(DOCKER_SDK_BUILD_COMMANDS).toContain('docker/sdk export images -t "$VERSION" | tee "$listing"');
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

describe('docker-sdk is pinned and verified', () => {
  /** The clone command, run for real against a local repository standing in for github.com/spryker/docker-sdk. */
  function cloneWith(commit: string, build = DOCKER_SDK_BUILD_COMMANDS[0]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-sdk-'));
    const upstream = path.join(dir, 'upstream');
    const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();
    fs.mkdirSync(upstream);
    git(upstream, 'init', '--quiet');
    const commits = ['1.0.0', '2.0.0'].map((v) => {
      fs.writeFileSync(path.join(upstream, 'sdk'), `#!/bin/sh\necho ${v}\n`);
      git(upstream, 'add', 'sdk');
      git(upstream, 'commit', '--quiet', '-m', v);
      return git(upstream, 'rev-parse', 'HEAD');
    });
    const work = path.join(dir, 'work');
    fs.mkdirSync(work);
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', build], {
      cwd: work,
      encoding: 'utf8',
      env: {
        ...process.env,
        DOCKER_SDK_COMMIT: commit || commits[0],
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: `url.file://${upstream}.insteadOf`,
        GIT_CONFIG_VALUE_0: 'https://github.com/spryker/docker-sdk.git',
      },
    });
    const head = fs.existsSync(path.join(work, 'docker')) ? git(path.join(work, 'docker'), 'rev-parse', 'HEAD') : undefined;
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: result.status, stderr: result.stderr, head, commits };
  }

  test('the pinned commit is checked out, not the default branch', () => {
    const { status, head, commits } = cloneWith('');
    expect(status).toBe(0);
    expect(head).toBe(commits[0]);
  });

  test('a pin that is not in the repository fails the build before docker-sdk runs', () => {
    const { status, stderr } = cloneWith('f'.repeat(40));
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/docker-sdk is not at the pinned commit|reference is not a tree|unable to read tree|not a commit/i);
  });

  test('a connection (git) source records no content identity; a bad docker-sdk pin is refused at synth', () => {
    const { template: t } = synthPipeline({ source: { connection: { connectionArn: 'arn:aws:codeconnections:eu-central-1:111122223333:connection/x', repository: 'shop/shop' } } });
    expect(envOf(t).SPRYKER_SOURCE_IDENTITY).toBeUndefined();
    expect(() => synthPipeline({ build: { dockerSdkCommit: '1.24.0' } })).toThrow(/build\.dockerSdkCommit: '1\.24\.0' is not a full commit hash/);
  });
});
