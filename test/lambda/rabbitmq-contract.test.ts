/** The step's contracts (lib/contracts/rabbitmq.ts): valid and invalid examples, with the exact field paths of every problem. */
import { BrokerConfig, checkContract, RabbitMqParams } from '../../lib/contracts/rabbitmq';
import { parseBrokerConfig, parseRabbitMqParams } from '../../lambda/rabbitmq/config';
import { StepFailure } from '../../lambda/runtime/job';

const SECRET = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:broker/app';
const valid = {
  v: 1,
  endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com',
  adminSecret: `${SECRET}-admin`,
  vhosts: ['de_queue', 'at_queue'],
  users: [
    { name: 'app', passwordSecret: SECRET, tags: ['management'], permissions: [{ vhost: 'de_queue', configure: '.*', write: '.*', read: '.*' }, { vhost: 'at_queue', configure: '', write: '^$', read: '.*' }] },
    { name: 'reader', passwordSecret: SECRET, tags: [], permissions: [] },
  ],
  removeUndeclared: false,
};

const problems = (value: unknown) => {
  const result = checkContract(BrokerConfig, value);
  return 'problems' in result ? result.problems : [];
};

function thrown(fn: () => unknown): StepFailure {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StepFailure);
    return err as StepFailure;
  }
  throw new Error('did not throw');
}

describe('BrokerConfig', () => {
  test('valid: the stack-written shape, with and without the optional fields', () => {
    expect(checkContract(BrokerConfig, valid)).toEqual({ data: valid });
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(problems({ ...valid, forceRemoveVhostsWithMessages: true, caCertificate: pem })).toEqual([]);
  });

  test("issue 15's four: each named by its path, every problem at once", () => {
    expect(
      problems({
        ...valid,
        vhosts: ['de_queue', null],
        users: [{ ...valid.users[0], passwordSecret: undefined }, { ...valid.users[1], permissions: [{ vhost: 'de_queue' }] }],
        removeUndeclared: 'false',
      }),
    ).toEqual([
      'vhosts[1]: expected string, got null',
      'users[0].passwordSecret: required',
      'users[1].permissions[0].configure: required',
      'users[1].permissions[0].write: required',
      'users[1].permissions[0].read: required',
      'removeUndeclared: expected boolean, got string',
    ]);
  });

  test('required top-level fields, empty names, unknown keys, wrong types', () => {
    expect(problems({ v: 1 })).toEqual(['endpoint: required', 'adminSecret: required', 'vhosts: required', 'users: required', 'removeUndeclared: required']);
    expect(problems({ ...valid, vhosts: [''], users: [{ ...valid.users[0], name: '', tags: 'management', permissions: [] }], removeUndeclared: true, removeUndecalred: true })).toEqual([
      'vhosts[0]: expected a non-empty string',
      'users[0].name: expected a non-empty string',
      'users[0].tags: expected array, got string',
      'removeUndecalred: unknown field',
    ]);
    expect(problems({ ...valid, users: [{ ...valid.users[0], passwrd: SECRET }] })).toEqual(['users[0].passwrd: unknown field']);
    expect(problems({ ...valid, caCertificate: 'MIIB...' })).toEqual(['caCertificate: expected PEM certificates (-----BEGIN CERTIFICATE-----)']);
    expect(problems({ ...valid, forceRemoveVhostsWithMessages: 'yes' })).toEqual(['forceRemoveVhostsWithMessages: expected boolean, got string']);
  });

  test('what the broker would refuse half-way is refused before: duplicates, permissions on undeclared vhosts', () => {
    expect(
      problems({
        ...valid,
        vhosts: ['de_queue', 'de_queue'],
        users: [
          { ...valid.users[0], permissions: [valid.users[0].permissions[0], valid.users[0].permissions[0], { vhost: 'nl_queue', configure: '.*', write: '.*', read: '.*' }] },
          { ...valid.users[1], name: 'app' },
        ],
      }),
    ).toEqual([
      "vhosts[1]: 'de_queue' is listed twice",
      "users[0].permissions[1].vhost: 'de_queue' has a permission already",
      "users[0].permissions[2].vhost: 'nl_queue' is not among vhosts",
      "users[1].name: 'app' is declared twice",
    ]);
  });

  test('a prefix names where the value comes from (the stage says broker.)', () => {
    expect(checkContract(BrokerConfig, { ...valid, users: [{ ...valid.users[0], passwordSecret: 5 }] }, 'broker')).toEqual({ problems: ['broker.users[0].passwordSecret: expected string, got number'] });
  });
});

describe('parseBrokerConfig (the handler)', () => {
  test('the version first: another version is refused on its own, whatever else is wrong', () => {
    expect(thrown(() => parseBrokerConfig('/prod/pipeline/rabbitmq', JSON.stringify({ v: 2, vhosts: null }))).message).toBe(
      'broker config /prod/pipeline/rabbitmq has version 2, this handler reads version 1: redeploy the pipeline stack',
    );
  });

  test('an invalid value: ConfigurationError with every path', () => {
    const err = thrown(() => parseBrokerConfig('/prod/pipeline/rabbitmq', JSON.stringify({ ...valid, users: [{ ...valid.users[0], passwordSecret: undefined }], removeUndeclared: 'false' })));
    expect(err.failureType).toBe('ConfigurationError');
    expect(err.message).toBe(
      'broker config /prod/pipeline/rabbitmq is invalid (nothing was sent to the broker): users[0].passwordSecret: required; removeUndeclared: expected boolean, got string: redeploy the pipeline stack, or fix the broker props',
    );
  });

  test('a valid value is returned as parsed', () => {
    expect(parseBrokerConfig('/p', JSON.stringify(valid))).toEqual(valid);
  });
});

describe('RabbitMqParams (UserParameters)', () => {
  test('valid: none (no broker), or the pinned endpoint', () => {
    expect(parseRabbitMqParams({})).toEqual({});
    const pinned = { config: '/prod/pipeline/rabbitmq', endpoint: 'http://rabbitmq:15672', allowInsecureEndpoint: true };
    expect(parseRabbitMqParams(pinned)).toEqual(pinned);
    expect(checkContract(RabbitMqParams, pinned)).toEqual({ data: pinned });
  });

  test('invalid: every field named, unknown keys too', () => {
    const err = thrown(() => parseRabbitMqParams({ config: '', endpoint: 42, allowInsecureEndpoint: 'true', extra: 1 }));
    expect(err.failureType).toBe('ConfigurationError');
    expect(err.message).toBe(
      'rabbitmq: invalid UserParameters: config: expected a non-empty string; endpoint: expected string, got number; allowInsecureEndpoint: expected boolean, got string; extra: unknown field: redeploy the pipeline stack',
    );
    expect(thrown(() => parseRabbitMqParams([])).message).toBe('rabbitmq: invalid UserParameters: expected object, got array: redeploy the pipeline stack');
  });
});
