/** The handler's configuration failures: all happen before a request reaches the broker. */
import { CodePipelineClient, PutJobFailureResultCommand } from '@aws-sdk/client-codepipeline';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { rabbitMqStep } from '../../lambda/rabbitmq';
import type { BrokerConfig } from '../../lambda/rabbitmq/config';
import { defineStep } from '../../lambda/runtime/job';
import { mockedRuntime } from '../fakes/mock-runtime';

const ssm = mockClient(SSMClient);
const secretsManager = mockClient(SecretsManagerClient);
const codepipeline = mockClient(CodePipelineClient);

const ADMIN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:broker/admin';
const USER = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:broker/app';
const config: BrokerConfig = {
  v: 1,
  // Nothing listens here: a test that got as far as a request would fail differently.
  endpoint: 'http://127.0.0.1:9',
  adminSecret: ADMIN,
  vhosts: ['de_queue'],
  users: [{ name: 'app', passwordSecret: USER, tags: [], permissions: [{ vhost: 'de_queue', configure: '.*', write: '.*', read: '.*' }] }],
  removeUndeclared: false,
};

async function failureFor(value: unknown, secrets: Record<string, string>, pin: Record<string, unknown> = { endpoint: config.endpoint, allowInsecureEndpoint: true }) {
  ssm.reset();
  secretsManager.reset();
  codepipeline.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: typeof value === 'string' ? value : JSON.stringify(value) } });
  secretsManager.on(GetSecretValueCommand).callsFake(async ({ SecretId }) => ({ SecretString: secrets[SecretId] }));
  const fetchSpy = jest.spyOn(globalThis, 'fetch');
  const runtime = mockedRuntime(codepipeline);
  await defineStep(rabbitMqStep(), runtime.deps)(
    runtime.event({ params: { config: '/prod/pipeline/rabbitmq', ...pin } }),
    { getRemainingTimeInMillis: () => 300_000 },
  );
  expect(fetchSpy).not.toHaveBeenCalled();
  fetchSpy.mockRestore();
  return codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input.failureDetails;
}

const admin = JSON.stringify({ username: 'admin', password: 'admin-pw' });

test('a config of another version, or not JSON: ConfigurationError, redeploy the stack', async () => {
  expect(await failureFor({ ...config, v: 2 }, {})).toEqual({
    type: 'ConfigurationError',
    message: 'broker config /prod/pipeline/rabbitmq has version 2, this handler reads version 1: redeploy the pipeline stack',
  });
  expect((await failureFor('{oops', {}))?.message).toBe('broker config /prod/pipeline/rabbitmq is not JSON: redeploy the pipeline stack');
});

test('an admin secret that is not {"username","password"} JSON fails without showing its value', async () => {
  for (const value of ['just-a-password', JSON.stringify({ username: 'admin' })]) {
    const failure = await failureFor(config, { [ADMIN]: value, [USER]: 'pw' });
    expect(failure?.type).toBe('ConfigurationError');
    expect(failure?.message).toContain(`the broker admin secret ${ADMIN} must be JSON {"username": "...", "password": "..."}`);
    expect(failure?.message).not.toContain('just-a-password');
  }
});

test('a password secret that is JSON without "password", or empty: ConfigurationError naming user and secret', async () => {
  const failure = await failureFor(config, { [ADMIN]: admin, [USER]: JSON.stringify({ pass: 'x' }) });
  expect(failure).toEqual({
    type: 'ConfigurationError',
    message: `the password secret ${USER} (broker.users[0].passwordSecret (user 'app')) is empty or JSON without a "password" key: store the password, or {"password": "..."} (nothing was sent to the broker)`,
  });
});

test('the admin user declared among the users: refused (it is managed through its own secret)', async () => {
  const failure = await failureFor({ ...config, users: [{ ...config.users[0], name: 'admin' }] }, { [ADMIN]: admin, [USER]: 'pw' });
  expect(failure?.type).toBe('ConfigurationError');
  expect(failure?.message).toContain(`broker.users declares 'admin', the user of the broker admin secret ${ADMIN}`);
});

describe('the broker endpoint is pinned by the stack', () => {
  const secrets = { [ADMIN]: admin, [USER]: 'pw' };

  test('a desired state naming another endpoint (SSM changed outside CloudFormation): no secret read, no request, ConfigurationError', async () => {
    const failure = await failureFor({ ...config, endpoint: 'https://attacker.example' }, secrets);
    expect(failure?.type).toBe('ConfigurationError');
    expect(failure?.message).toContain(`names the endpoint https://attacker.example, but the pipeline stack pinned ${config.endpoint}`);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  test('http without allowInsecureBrokerEndpoint is refused before any secret is read', async () => {
    const failure = await failureFor(config, secrets, { endpoint: config.endpoint });
    expect(failure?.type).toBe('ConfigurationError');
    expect(failure?.message).toContain(`the broker endpoint ${config.endpoint} is not https`);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  test('an action without a pinned endpoint (a stack from before the pin) is refused', async () => {
    const failure = await failureFor(config, secrets, {});
    expect(failure).toEqual({ type: 'ConfigurationError', message: "rabbitmq: this action's UserParameters pin no broker endpoint: redeploy the pipeline stack, which pins it" });
  });
});
