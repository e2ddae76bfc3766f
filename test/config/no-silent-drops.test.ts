import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SprykerPipeline, sprykerPipelinePropsFromDeployFile } from '../../lib';
import { baseProps, testApp } from '../infra/helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'deploy-files');
const UNUSED = 'cdk-spryker-pipeline:approval-emails-unused';

function warningsOf(props: Parameters<typeof baseProps>[0]) {
  const stack = new Stack(testApp(), 'Drops');
  new SprykerPipeline(stack, 'Pipeline', baseProps(props));
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('approval.emails'));
}

describe('no silent drops', () => {
  test('approval e-mails while approval is off (outside production) warn, naming the fix', () => {
    const warnings = warningsOf({ approval: { emails: ['release@example.com'] } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toBe(
      `approval.emails (release@example.com) are never notified: approval is off for 'staging' (only production approves by default). Set approval.enabled: true to ask them, or leave approval.emails out [ack: ${UNUSED}]`,
    );
  });

  test('no warning when approval is on: enabled outside production, or production by default', () => {
    expect(warningsOf({ approval: { enabled: true, emails: ['release@example.com'] } })).toEqual([]);
    expect(warningsOf({ environment: 'production', cluster: 'production-spryker', approval: { emails: ['release@example.com'] } })).toEqual([]);
    expect(warningsOf({ approval: { enabled: false } })).toEqual([]);
  });

  test("props from a deploy file make Build_and_Prepare's docker/sdk boot read that file", () => {
    const props = sprykerPipelinePropsFromDeployFile(path.join(FIXTURES, 'deploy.b2b-staging.yml'), { cluster: 'staging-spryker' });
    expect(props.build?.deployFile).toBe('deploy.b2b-staging.yml');
    const stack = new Stack(testApp(), 'FromFile');
    new SprykerPipeline(stack, 'Pipeline', props);
    Template.fromStack(stack).hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({ EnvironmentVariables: Match.arrayWith([Match.objectLike({ Name: 'SPRYKER_DEPLOY_FILE', Value: 'deploy.b2b-staging.yml' })]) }),
    });
  });

  test('an explicit build.deployFile still wins over the file name', () => {
    const props = sprykerPipelinePropsFromDeployFile(path.join(FIXTURES, 'deploy.b2b-staging.yml'), { cluster: 'c', build: { deployFile: 'config/deploy.b2b-staging.yml', keepImages: 20 } });
    expect(props.build).toMatchObject({ deployFile: 'config/deploy.b2b-staging.yml', keepImages: 20 });
  });
});
