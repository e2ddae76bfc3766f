import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SprykerPipeline } from '../../lib';
import { gitFacts, readFacts } from '../../lib/release-diff';
import { actionOf, arnText, baseProps, functionOf, stagesOf, statementsOfFunction, synthPipeline, userParametersOf } from '../infra/helpers';
import { makeShopRepo } from './shop-repo';

type Cfn = Record<string, any>;
const ecrArn = (repository: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:eu-central-1:111122223333:repository/${repository}`]] });
const CONNECTION = { connectionArn: 'arn:aws:codeconnections:eu-central-1:111122223333:connection/abc', repository: 'acme/shop' };
/** UserParameters with tokens (the report bucket's name) rendered as `<LogicalId>`. */
const paramsOf = (template: Template, action: string) => JSON.parse(arnText(actionOf(template, 'Please_approve', action).Configuration.UserParameters));
const names = (template: ReturnType<typeof synthPipeline>['template']) =>
  stagesOf(template).find((s) => s.Name === 'Please_approve')!.Actions.map((a: Cfn) => [a.Name, a.RunOrder]);

describe('git source: Release_facts (CodeBuild) then Release_diff, before the approval', () => {
  const { template } = synthPipeline({ environment: 'production', source: { connection: CONNECTION } });

  test('order: Prepare_versions, Release_facts, Release_diff, Please_approve', () => {
    expect(names(template)).toEqual([
      ['Prepare_versions', 1],
      ['Release_facts', 2],
      ['Release_diff', 3],
      ['Please_approve', 4],
    ]);
  });

  test('Release_facts reads the full clone with the two versions and hands its folder to Release_diff', () => {
    const facts = actionOf(template, 'Please_approve', 'Release_facts');
    expect(facts.ActionTypeId).toMatchObject({ Category: 'Build', Provider: 'CodeBuild' });
    expect(facts.InputArtifacts).toEqual([{ Name: 'Source' }]);
    expect(facts.OutputArtifacts).toEqual([{ Name: 'ReleaseFacts' }]);
    expect(JSON.parse(facts.Configuration.EnvironmentVariables)).toEqual([
      { name: 'FROM', type: 'PLAINTEXT', value: '#{Versions.LAST_DEPLOYED_VERSION}' },
      { name: 'TO', type: 'PLAINTEXT', value: '#{Versions.VERSION}' },
    ]);
    const diff = actionOf(template, 'Please_approve', 'Release_diff');
    expect(diff.InputArtifacts).toEqual([{ Name: 'ReleaseFacts' }]);
    expect(diff.Namespace).toBe('ReleaseDiff');
    expect(paramsOf(template, 'Release_diff')).toEqual({
      environment: 'production',
      version: '#{Versions.VERSION}',
      lastDeployedVersion: '#{Versions.LAST_DEPLOYED_VERSION}',
      executionId: '#{codepipeline.PipelineExecutionId}',
      reportBucket: expect.stringMatching(/^<PipelineDeploymentReleaseReports\w+>$/),
      confirmParameter: '/production/confirm_rollback',
      model: '/production/pipeline/model',
    });
  });

  test('the approval carries the summary and links the report', () => {
    const approval = actionOf(template, 'Please_approve', 'Please_approve');
    expect(approval.Configuration.CustomData).toBe('Deploy #{Versions.VERSION} to production (last deployed: #{Versions.LAST_DEPLOYED_VERSION}). #{ReleaseDiff.SUMMARY}');
    expect(approval.Configuration.ExternalEntityLink).toBe('#{ReleaseDiff.REPORT_URL}');
    // 40-character hashes and a summary of at most 500 characters stay below the 1000 of a configuration value.
    expect(approval.Configuration.CustomData.replace(/#\{Versions\.\w+\}/g, 'x'.repeat(40)).replace('#{ReleaseDiff.SUMMARY}', 'x'.repeat(500)).length).toBeLessThan(1000);
  });

  test('least privilege: reports below the environment prefix, the confirm parameter, the model, image metadata of its repositories, nothing else', () => {
    const statements = statementsOfFunction(template, functionOf(template, 'Please_approve', 'Release_diff'));
    // Logs, the step table and GetJobDetails: every step handler's own (test/infra/step-table.test.ts).
    const grants = statements.map((s: Cfn) => [s.Action, arnText(s.Resource)]).filter(([a]) => !/^(logs|dynamodb):|^codepipeline:GetJobDetails$/.test(String(a)));
    expect(grants.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      // LambdaInvokeAction's grant: these two support no resource-level permissions.
      [['codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult'], '*'],
      // Which images exist for the version: DescribeImages only (no manifests, no layers), on the model's images' repositories.
      ['ecr:DescribeImages', JSON.stringify(['zed', 'yves', 'glue', 'backoffice', 'scheduler'].map((k) => ecrArn(`production-${k}`)))],
      ['s3:PutObject', expect.stringMatching(/^<PipelineDeploymentReleaseReports\w+\.Arn>\/production\/\*$|^.*ReleaseReports.*\/production\/\*$/)],
      // The deployment model, as every handler that reads it is granted (SprykerDeployment.grantReadModel).
      [['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'], expect.stringMatching(/^arn:aws:ssm:eu-central-1:111122223333:parameter<PipelineDeploymentModel\w+>$/)],
      ['ssm:GetParameter', 'arn:aws:ssm:eu-central-1:111122223333:parameter/production/confirm_rollback'],
    ]);
  });

  test('the report bucket: encrypted, TLS only, private, reports expire', () => {
    const buckets = Object.values(template.findResources('AWS::S3::Bucket')).filter((b: Cfn) => JSON.stringify(b).includes('"ExpirationInDays":180')) as Cfn[];
    expect(buckets).toHaveLength(1);
    expect(buckets[0].Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });

  test("the buildspec's script, run for real in a repository, gives the facts the CLI computes", () => {
    const projects = Object.values(template.findResources('AWS::CodeBuild::Project')).filter((p: Cfn) => p.Properties.Description?.includes('git facts')) as Cfn[];
    expect(projects).toHaveLength(1);
    const spec = JSON.parse(projects[0].Properties.Source.BuildSpec);
    expect(spec.artifacts).toEqual({ 'base-directory': 'release-facts', files: ['**/*'] });
    expect(projects[0].Properties.Environment.EnvironmentVariables).toEqual([{ Name: 'OUT', Type: 'PLAINTEXT', Value: 'release-facts' }]);
    const repo = makeShopRepo();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codebuild-'));
    try {
      const env = { ...process.env, FROM: repo.commits.base, TO: repo.commits.composerMajor, OUT: 'release-facts' };
      for (const command of spec.phases.build.commands) execFileSync('bash', ['-c', command.replace(/\/tmp\//g, `${tmp}/`)], { cwd: repo.dir, env });
      const files = new Map<string, Buffer>();
      const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, e.name);
          if (e.isDirectory()) walk(full);
          else files.set(path.relative(path.join(repo.dir, 'release-facts'), full), fs.readFileSync(full));
        }
      };
      walk(path.join(repo.dir, 'release-facts'));
      const { fromHash: _f, toHash: _t, ...cli } = gitFacts(repo.dir, repo.commits.base, repo.commits.composerMajor);
      expect(readFacts(files)).toEqual(cli);
      expect(cli.commits).toHaveLength(6);
    } finally {
      repo.remove();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('S3 source: Release_diff reads the two archive versions itself', () => {
  const { template } = synthPipeline({ environment: 'production' });

  test('no CodeBuild action; Release_diff names the source object and may list and read its versions only', () => {
    expect(names(template)).toEqual([
      ['Prepare_versions', 1],
      ['Release_diff', 2],
      ['Please_approve', 3],
    ]);
    expect(paramsOf(template, 'Release_diff').sourceObject).toEqual({ bucket: expect.stringMatching(/^<PipelineSource\w*Bucket\w+>$/), key: 'source.zip' });
    const statements = statementsOfFunction(template, functionOf(template, 'Please_approve', 'Release_diff'));
    const grants = Object.fromEntries(statements.map((s: Cfn) => [String(s.Action), arnText(s.Resource)]).filter(([a]) => !/^dynamodb:|^codepipeline:GetJobDetails$/.test(a)));
    expect(grants['s3:ListBucketVersions']).toMatch(/^<?.*Source.*Bucket/);
    expect(grants['s3:GetObjectVersion']).toMatch(/\/source\.zip$/);
    expect(Object.keys(grants).sort()).toEqual(
      [
        'codepipeline:PutJobSuccessResult,codepipeline:PutJobFailureResult',
        'ecr:DescribeImages',
        'logs:CreateLogStream,logs:PutLogEvents',
        's3:GetObjectVersion',
        's3:ListBucketVersions',
        's3:PutObject',
        'ssm:DescribeParameters,ssm:GetParameters,ssm:GetParameter,ssm:GetParameterHistory',
        'ssm:GetParameter',
      ].sort(),
    );
  });
});

describe("maintenance.duringInstall: 'auto'", () => {
  const listener = (stack: Stack) =>
    elbv2.ApplicationListener.fromApplicationListenerAttributes(stack, 'L', {
      listenerArn: 'arn:aws:elasticloadbalancing:eu-central-1:111122223333:listener/app/shop/1/2',
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-1'),
    });

  test("Run_install gets Release_diff's SCHEMA_RISK; true passes none (maintenance always)", () => {
    const auto = synthWithListener('auto');
    expect(userParametersOf(auto, 'Run_install')).toMatchObject({ maintenance: '/production/pipeline/maintenance', schemaRisk: '#{ReleaseDiff.SCHEMA_RISK}' });
    expect(userParametersOf(synthWithListener(true), 'Run_install').schemaRisk).toBeUndefined();
  });

  test("no release diff without git history or when turned off; 'auto' without it is refused naming the prop", () => {
    expect(names(synthPipeline({ source: { connection: { ...CONNECTION, fullClone: false } } }).template)).toEqual([['Prepare_versions', 1]]);
    expect(names(synthPipeline({ approval: { releaseDiff: false } }).template)).toEqual([['Prepare_versions', 1]]);
    expect(() => synthWithListener('auto', { releaseDiff: false })).toThrow(/maintenance\.duringInstall: 'auto' decides by Release_diff's schema risk, which is off/);
  });

  function synthWithListener(duringInstall: boolean | 'auto', approval = {}) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'T', { env: { account: '111122223333', region: 'eu-central-1' } });
    new SprykerPipeline(stack, 'Pipeline', baseProps({ environment: 'production', approval, maintenance: { listener: listener(stack), duringInstall } }));
    return Template.fromStack(stack);
  }
});
