import { Stack } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SprykerPipeline } from '../../lib';
import { actionOf, arnText, baseProps, synthPipeline, testApp, userParametersOf } from '../infra/helpers';

const CONNECTION = 'arn:aws:codeconnections:eu-central-1:111122223333:connection/abc';

type Cfn = Record<string, any>;
const resourcesOf = (template: ReturnType<typeof synthPipeline>['template'], type: string): Cfn[] => Object.values(template.findResources(type));
const buildRoleStatements = (template: ReturnType<typeof synthPipeline>['template']): Cfn[] =>
  resourcesOf(template, 'AWS::IAM::Policy')
    .filter((p) => p.Properties.Roles.some((r: Cfn) => String(r.Ref).startsWith('PipelineBuildAndPrepareProjectRole')))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);

describe('default S3 source', () => {
  const { template } = synthPipeline();

  test('reads source.zip from a new versioned bucket, without polling', () => {
    const action = actionOf(template, 'Source');
    expect(action.ActionTypeId.Provider).toBe('S3');
    expect(action.Configuration).toMatchObject({ S3ObjectKey: 'source.zip', PollForSourceChanges: false });
    expect(action.Namespace).toBe('Source');
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
  });

  test("a new object version starts the pipeline through the bucket's EventBridge notifications (no CloudTrail, no helper Lambda)", () => {
    const bucketRef = actionOf(template, 'Source').Configuration.S3Bucket.Ref;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: bucketRef }] }, object: { key: ['source.zip'] } },
      },
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
    expect(resourcesOf(template, 'AWS::Events::Rule').some((r) => JSON.stringify(r).includes('AWS API Call via CloudTrail'))).toBe(false);
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).some((id) => id.startsWith('BucketNotificationsHandler'))).toBe(false);
  });

  test('Prepare_versions learns the commit from the object version', () => {
    // The bucket name is a token: UserParameters is a Fn::Join, flattened with `<Ref>`.
    const params = JSON.parse(arnText(actionOf(template, 'Please_approve', 'Prepare_versions').Configuration.UserParameters));
    expect(params.sourceVersion).toBe('#{Source.VersionId}');
    expect(params.sourceObject).toEqual({ bucket: `<${actionOf(template, 'Source').Configuration.S3Bucket.Ref}>`, key: 'source.zip' });
  });
});

describe('CodeStar connection source', () => {
  const connection = { connectionArn: CONNECTION, repository: 'acme/shop', branch: 'release', tagPatterns: ['v*', 'hotfix-*'] };

  test('full clone for the build, commit id as the version, a V2 push trigger for the branch and the tags', () => {
    const { template } = synthPipeline({ source: { connection } });
    const action = actionOf(template, 'Source');
    expect(action.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
    expect(action.Configuration).toMatchObject({ ConnectionArn: CONNECTION, FullRepositoryId: 'acme/shop', BranchName: 'release', OutputArtifactFormat: 'CODEBUILD_CLONE_REF' });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      PipelineType: 'V2',
      Triggers: [
        {
          ProviderType: 'CodeStarSourceConnection',
          GitConfiguration: { SourceActionName: 'Source', Push: [{ Branches: { Includes: ['release'] } }, { Tags: { Includes: ['v*', 'hotfix-*'] } }] },
        },
      ],
    });
    const params = userParametersOf(template, 'Please_approve', 'Prepare_versions');
    expect(params.sourceVersion).toBe('#{Source.CommitId}');
    expect(params.sourceObject).toBeUndefined();
    // The build clones through the connection.
    expect(buildRoleStatements(template)).toContainEqual(
      expect.objectContaining({ Action: 'codestar-connections:UseConnection', Resource: CONNECTION }),
    );
  });

  test('branch patterns replace the branch in the trigger; fullClone: false hands over a zip', () => {
    const { template } = synthPipeline({ source: { connection: { connectionArn: CONNECTION, repository: 'acme/shop', branchPatterns: ['main', 'release/*'], fullClone: false } } });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Triggers: [{ ProviderType: 'CodeStarSourceConnection', GitConfiguration: { SourceActionName: 'Source', Push: [{ Branches: { Includes: ['main', 'release/*'] } }] } }],
    });
    expect(actionOf(template, 'Source').Configuration.OutputArtifactFormat).toBeUndefined();
  });
});

test('CodeCommit: pushes to the branch start the pipeline (EventBridge), the build gets a full clone', () => {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const repository = codecommit.Repository.fromRepositoryName(stack, 'Repo', 'shop');
  new SprykerPipeline(stack, 'Pipeline', baseProps({ source: { codeCommit: { repository, branch: 'production' } } }));
  const template = Template.fromStack(stack);
  const action = actionOf(template, 'Source');
  expect(action.ActionTypeId.Provider).toBe('CodeCommit');
  expect(action.Configuration).toMatchObject({ RepositoryName: 'shop', BranchName: 'production', OutputArtifactFormat: 'CODEBUILD_CLONE_REF', PollForSourceChanges: false });
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({ source: ['aws.codecommit'], detail: Match.objectLike({ referenceName: ['production'] }) }),
  });
  const gitPull = buildRoleStatements(template).find((s) => s.Action === 'codecommit:GitPull');
  expect(arnText(gitPull?.Resource)).toMatch(/:codecommit:.*:shop$/);
});

test('invalid source props are reported together, naming the prop', () => {
  const tooMany = Array.from({ length: 9 }, (_, i) => `v${i}*`);
  expect(() =>
    synthPipeline({
      source: { connection: { connectionArn: CONNECTION, repository: 'acme', tagPatterns: tooMany }, s3: { bucket: undefined as never, key: '' } },
    }),
  ).toThrow(
    /source: sets connection and s3: choose exactly one source kind[\s\S]*source\.connection\.repository: 'acme' is not 'owner\/repo'[\s\S]*source\.connection\.tagPatterns: has 9 patterns: a push trigger takes 1 to 8[\s\S]*source\.s3\.key: is empty/,
  );
});
