import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { CodePipelineClient, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { SprykerConfigError, SprykerPipeline, type SprykerBrokerProps } from '../../lib';
import { rabbitMqStep } from '../../lambda/rabbitmq';
import { defineStep } from '../../lambda/runtime/job';
import { mockedRuntime } from '../fakes/mock-runtime';
import { loopbackCertificates } from '../integration/rabbitmq-proxy';
import { arnText, baseProps, functionOf, statementsOfFunction, testApp, userParametersOf } from '../infra/helpers';

const STAGE = 'Configure_RabbitMQ_Vhosts_and_Permissions';

function synth(broker?: (stack: Stack) => SprykerBrokerProps) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  new SprykerPipeline(stack, 'Pipeline', baseProps({ broker: broker?.(stack) }));
  return { template: Template.fromStack(stack) };
}

const shop = (users: number) => (stack: Stack): SprykerBrokerProps => ({
  endpoint: 'https://b-1234.mq.eu-central-1.amazonaws.com/',
  adminSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Admin', 'staging/broker/admin'),
  vhosts: ['de_queue', 'at_queue'],
  users: Array.from({ length: users }, (_, i) => ({
    name: `spryker${i}`,
    passwordSecret: new secretsmanager.Secret(stack, `User${i}`),
    ...(i === 1 ? { tags: ['management'], permissions: [{ vhost: 'de_queue', read: '^de\\.' }] } : {}),
  })),
});

/** Two tests read the same two-user shop: synthesized once (a synth takes seconds on a busy machine). */
let twoUsers: Template | undefined;
const twoUserShop = () => (twoUsers ??= synth(shop(2)).template);

/** The config parameter's value, with references as `<LogicalId>`. */
function configOf(template: Template): any {
  const params = Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/rabbitmq' } }));
  expect(params).toHaveLength(1);
  return { value: JSON.parse(arnText(params[0].Properties.Value)), tier: params[0].Properties.Tier };
}

function secretStatements(template: Template) {
  return statementsOfFunction(template, functionOf(template, STAGE)).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
}

test('without a broker: the stage is there, points at nothing, reads no secret, and its handler succeeds at once', async () => {
  const { template } = synth();
  expect(userParametersOf(template, STAGE)).toEqual({});
  expect(template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/rabbitmq' } })).toEqual({});
  expect(secretStatements(template)).toEqual([]);

  const codepipeline = mockClient(CodePipelineClient);
  const runtime = mockedRuntime(codepipeline);
  await defineStep(rabbitMqStep(), runtime.deps)(runtime.event({ params: {} }), {
    getRemainingTimeInMillis: () => 300_000,
  });
  expect(codepipeline.commandCalls(PutJobSuccessResultCommand)[0].args[0].input.executionDetails?.summary).toBe('no broker configured: nothing to do');
});

test('with a broker: UserParameters name the SSM parameter and pin the endpoint; the parameter holds the desired state with defaults and secret ARNs', () => {
  const template = twoUserShop();
  // The endpoint lives in the action configuration too, where only CloudFormation changes it.
  expect(userParametersOf(template, STAGE)).toEqual({ config: '/staging/pipeline/rabbitmq', endpoint: 'https://b-1234.mq.eu-central-1.amazonaws.com' });
  const { value, tier } = configOf(template);
  expect(tier).toBe('Standard');
  expect(value).toEqual({
    v: 1,
    endpoint: 'https://b-1234.mq.eu-central-1.amazonaws.com',
    adminSecret: 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:staging/broker/admin',
    vhosts: ['de_queue', 'at_queue'],
    users: [
      {
        name: 'spryker0',
        passwordSecret: expect.stringMatching(/^<User0[0-9A-F]{8}>$/),
        tags: [],
        permissions: [
          { vhost: 'de_queue', configure: '.*', write: '.*', read: '.*' },
          { vhost: 'at_queue', configure: '.*', write: '.*', read: '.*' },
        ],
      },
      {
        name: 'spryker1',
        passwordSecret: expect.stringMatching(/^<User1[0-9A-F]{8}>$/),
        tags: ['management'],
        permissions: [{ vhost: 'de_queue', configure: '.*', write: '.*', read: '^de\\.' }],
      },
    ],
    removeUndeclared: false,
  });
});

test('grants read of exactly the admin secret, each password secret, and the config parameter', () => {
  const template = twoUserShop();
  const resources = secretStatements(template).flatMap((s) => [s.Resource].flat().map(arnText)).sort();
  expect(resources).toEqual([
    '<User0[id]>',
    '<User1[id]>',
    'arn:aws:secretsmanager:eu-central-1:111122223333:secret:staging/broker/admin-??????',
  ].map((r) => expect.stringMatching(new RegExp(`^${r.replace(/[?]/g, '\\?').replace('[id]', '[0-9A-F]{8}')}$`))));
  const ssmStatements = statementsOfFunction(template, functionOf(template, STAGE)).filter((s) => [s.Action].flat().includes('ssm:GetParameter'));
  const [parameter] = Object.keys(template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/rabbitmq' } }));
  // The parameter's Ref is its name, /staging/pipeline/rabbitmq.
  expect(ssmStatements.map((s) => arnText(s.Resource))).toEqual([`arn:aws:ssm:eu-central-1:111122223333:parameter<${parameter}>`]);
});

test('a private endpoint: the handler runs in the given subnets with a security group', () => {
  let vpc!: ec2.Vpc;
  const { template } = synth((stack) => {
    vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    return { ...shop(1)(stack), endpoint: 'http://rabbitmq.internal:15672', allowInsecureBrokerEndpoint: true, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } };
  });
  const fn = template.toJSON().Resources[functionOf(template, STAGE)];
  const subnets = fn.Properties.VpcConfig.SubnetIds.map((s: { Ref: string }) => s.Ref).sort();
  expect(subnets).toEqual(Object.keys(template.findResources('AWS::EC2::Subnet')).sort());
  expect(fn.Properties.VpcConfig.SecurityGroupIds).toHaveLength(1);
});

test('a 50-user shop: UserParameters stay tiny; the parameter moves to the advanced tier only when the estimate needs it', () => {
  const large = synth(shop(50)).template;
  expect(JSON.stringify(userParametersOf(large, STAGE)).length).toBeLessThan(100);
  expect(configOf(large).tier).toBe('Advanced');
  // Ten users with every secret ARN counted at its bound still fit the standard tier's 4 KB.
  expect(configOf(synth(shop(10)).template).tier).toBe('Standard');
});

test('broker props are validated, every problem at once, naming the prop', () => {
  let error: unknown;
  try {
    synth((stack) => {
      const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'x');
      return {
        endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com/api/',
        adminSecret: secret,
        vhosts: ['de_queue', ''],
        users: [
          { name: 'guest', passwordSecret: secret },
          { name: 'app user', passwordSecret: secret },
          { name: 'app', passwordSecret: secret, permissions: [{ vhost: 'de_queue' }, { vhost: 'de_queue' }, { vhost: 'nl_queue' }] },
          { name: 'app', passwordSecret: secret },
        ],
      };
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(SprykerConfigError);
  expect((error as SprykerConfigError).problems.map((p) => p.prop)).toEqual([
    'broker.endpoint',
    'broker.vhosts[1]',
    'broker.users[0].name',
    'broker.users[1].name',
    'broker.users[2].permissions',
    'broker.users[2].permissions',
    'broker.users[3].name',
  ]);
});

test('an http endpoint needs allowInsecureBrokerEndpoint, and then the action says so to the handler', () => {
  const app = testApp();
  const stack = new Stack(app, 'Http', { env: { account: '111122223333', region: 'eu-central-1' } });
  const broker = { ...shop(1)(stack), endpoint: 'http://rabbitmq.internal:15672' };
  expect(() => new SprykerPipeline(stack, 'Refused', baseProps({ broker }))).toThrow(/broker\.endpoint: 'http:\/\/rabbitmq\.internal:15672' is plain http.*allowInsecureBrokerEndpoint/);
  new SprykerPipeline(stack, 'Pipeline', baseProps({ broker: { ...broker, allowInsecureBrokerEndpoint: true } }));
  expect(userParametersOf(Template.fromStack(stack), STAGE)).toEqual({ config: '/staging/pipeline/rabbitmq', endpoint: 'http://rabbitmq.internal:15672', allowInsecureEndpoint: true });
});

describe('a private CA and the guard of vhosts that hold messages (issue 15)', () => {
  const { caPem } = loopbackCertificates();

  test('caCertificate (PEM) and forceRemoveVhostsWithMessages go into the desired state; a small one stays in the standard tier', () => {
    const { template } = synth((stack) => ({ ...shop(1)(stack), removeUndeclared: true, forceRemoveVhostsWithMessages: true, caCertificate: caPem }));
    const { value, tier } = configOf(template);
    expect(value).toMatchObject({ removeUndeclared: true, forceRemoveVhostsWithMessages: true, caCertificate: caPem });
    expect(tier).toBe('Standard');
  });

  test('a CA read from SSM at deploy time (a token) is accepted, and counted so that the parameter goes to the advanced tier', () => {
    const { template } = synth((stack) => ({ ...shop(1)(stack), caCertificate: ssm.StringParameter.valueForStringParameter(stack, '/shop/broker-ca') }));
    const { value, tier } = configOf(template);
    expect(value.caCertificate).toMatch(/^<SsmParameterValue.*>$/);
    expect(tier).toBe('Advanced');
  });

  test.each([
    ['removeUndeclared as a string (plain JavaScript, a YAML reader)', { removeUndeclared: 'false' }, 'broker.removeUndeclared: expected boolean, got string'],
    ['a CA that is no PEM', { caCertificate: 'MIIBIjANBgkq' }, 'broker.caCertificate: expected PEM certificates (-----BEGIN CERTIFICATE-----)'],
    ['a broken PEM', { caCertificate: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' }, 'broker.caCertificate: not a PEM certificate ('],
    ['forceRemoveVhostsWithMessages as a string', { forceRemoveVhostsWithMessages: 'true' }, 'broker.forceRemoveVhostsWithMessages: expected boolean, got string'],
  ])('%s: refused at synth with the schema the handler parses, naming the prop', (_, props, problem) => {
    expect(() => synth((stack) => ({ ...shop(1)(stack), ...(props as object) }))).toThrow(`ConfigureRabbitMqStage Test/Pipeline/ConfigureRabbitMq: ${problem}`);
  });
});
