/**
 * CI cannot deploy the integ test (docs/integ.md): it synthesizes the integ app in-process and
 * holds its templates to a snapshot, so a change to what the real-AWS run deploys or asserts is seen.
 */
import type { CfnResource, Stack } from 'aws-cdk-lib';
import { Template, Match } from 'aws-cdk-lib/assertions';
import { buildIntegApp, ENVIRONMENT, V1_IMAGE, V2 } from './integ.pipeline';

const { app, stack, integ } = buildIntegApp();
const assembly = app.synth();
const shop = Template.fromStack(stack);
// IntegTest puts its assertions in a stack of their own (DeployAssert's `scope`).
const assertions = Template.fromStack((integ.assertions as unknown as { scope: Stack }).scope);

describe('integ app', () => {
  test('synthesizes the shop stack and the assertion stack', () => {
    const names = assembly.stacks.map((s) => s.stackName).sort();
    expect(names).toEqual(expect.arrayContaining(['SprykerPipelineInteg']));
    expect(names.some((n) => n.includes('DeployAssert'))).toBe(true);
  });

  test('the library finds nothing to object to in the integ props', () => {
    // From the assembly above: integ-tests-alpha's aspects cannot run twice (a second synth would clash).
    const messages = assembly.getStackArtifact(stack.artifactId).messages.filter((m) => m.level !== 'info');
    expect(messages.map((m) => `${m.level} ${m.id}: ${m.entry.data}`)).toEqual([]);
  });

  test('the shop: three Fargate services on V1, public subnets only, no NAT gateway', () => {
    shop.resourceCountIs('AWS::ECS::Service', 3);
    for (const name of ['zed', 'yves', 'scheduler']) {
      shop.hasResourceProperties('AWS::ECS::Service', {
        ServiceName: `${ENVIRONMENT}-${name}`,
        LaunchType: 'FARGATE',
        NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
      });
      shop.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Family: `${ENVIRONMENT}-${name}`,
        ContainerDefinitions: [Match.objectLike({ Image: V1_IMAGE })],
      });
    }
    shop.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('the pipeline builds with the integ commands and waits for no approval', () => {
    const pipeline = shop.findResources('AWS::CodePipeline::Pipeline');
    expect(Object.keys(pipeline)).toHaveLength(1);
    const stages = (Object.values(pipeline)[0] as { Properties: { Stages: { Name: string }[] } }).Properties.Stages.map((s) => s.Name);
    expect(stages).toEqual(expect.arrayContaining(['Source', 'Build_and_Prepare', 'Deploy_Spryker_services', 'UpdateDeployedVersion']));
    expect(JSON.stringify(pipeline)).not.toContain('"Category":"Approval"');
    shop.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        EnvironmentVariables: Match.arrayWith([Match.objectLike({ Name: 'SPRYKER_BUILD_COMMANDS', Value: Match.stringLikeRegexp('docker build') })]),
      }),
    });
  });

  test('tear-down: stateful resources go with the stack, except the artifact bucket', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::Logs::LogGroup', 'AWS::ECR::Repository']) {
      for (const [id, r] of Object.entries(shop.findResources(type))) expect([id, r.DeletionPolicy]).toEqual([id, 'Delete']);
    }
    shop.allResourcesProperties('AWS::ECR::Repository', { EmptyOnDelete: true });
    const artifactBucket = stack.resolve((stack.sprykerPipeline.pipeline.artifactBucket.node.defaultChild as CfnResource).logicalId);
    expect(shop.toJSON().Resources[artifactBucket].DeletionPolicy).toBe('Retain');
  });

  test('the assertions upload V2, start the pipeline, wait for it and check SSM and the services', () => {
    const calls = assertions.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const apis = Object.values(calls)
      .filter((r) => r.Type.startsWith('Custom::DeployAssert@SdkCall'))
      .map((r) => `${r.Properties.service}.${r.Properties.api}`)
      .sort();
    expect(apis).toEqual(
      [
        'CodePipeline.getPipelineExecution',
        'CodePipeline.startPipelineExecution',
        ...Array(6).fill('ECS.describeServices'),
        'ECS.describeTaskDefinition',
        'ECS.describeTaskDefinition',
        'ECS.describeTaskDefinition',
        'S3.copyObject',
        'SSM.getParameter',
        'SSM.getParameter',
      ].sort(),
    );
    expect(JSON.stringify(calls)).toContain(V2);
    // The copy may read the V2 source and write the pipeline's source object (CopyObject is no IAM action).
    expect(JSON.stringify(assertions.findResources('AWS::IAM::Role'))).toMatch(/"s3:GetObject","s3:PutObject"/);
    // The deployed version starts at 'none' (no leftover of an earlier run) and ends at V2.
    const expected = Object.values(calls)
      .filter((r) => r.Properties.api === 'getParameter')
      .map((r) => JSON.parse(r.Properties.expected as string).$ObjectLike.Parameter.Value);
    expect(expected.sort()).toEqual([V2, 'none'].sort());
    expect(JSON.stringify(calls)).toContain(`/${ENVIRONMENT}/lastdeployedversion`);
  });

  test('snapshot of both templates', () => {
    // Each assertion call carries `salt: Date.now()` so that it runs on every deployment: masked.
    const unsalted = JSON.parse(JSON.stringify(assertions.toJSON(), (key, value) => (key === 'salt' ? 'SALT' : value)));
    expect({ shop: shop.toJSON(), assertions: unsalted }).toMatchSnapshot();
  });
});
