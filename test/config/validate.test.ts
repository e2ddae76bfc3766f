import { Duration, Lazy } from 'aws-cdk-lib';
import type * as codecommit from 'aws-cdk-lib/aws-codecommit';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { hookOverridesLength, MAX_OVERRIDES_LENGTH, SCHEDULER_SUSPEND } from '../../lib/config/hook-commands';
import type { SprykerBrokerProps, SprykerPipelineProps, SprykerWarmUpProps } from '../../lib/config/types';
import { isConcrete, isProduction, serviceName, SprykerConfigError, validatePipelineProps, type PropsProblem } from '../../lib/config/validate';

// Each rule of validatePipelineProps, called directly (no synth): a valid value passes, an invalid
// one fails with the exact prop and message, at the edges of every range and pattern (a name that
// is wrong only at its end, a limit and one past it). Unresolved tokens are never judged.

/** Validation never reads these constructs; only their presence matters. */
const secret = {} as secretsmanager.ISecret;
const listener = {} as elbv2.IApplicationListener;
const bucket = {} as s3.IBucket;
const repository = {} as codecommit.IRepository;
const token = () => Lazy.string({ produce: () => 'resolved-later' });

function props(overrides: Partial<SprykerPipelineProps> = {}): SprykerPipelineProps {
  return {
    environment: 'staging',
    cluster: 'staging-spryker',
    services: [{ application: 'zed' }, { application: 'yves' }],
    scheduler: { application: 'scheduler' },
    ...overrides,
  };
}

const problemsOf = (overrides: Partial<SprykerPipelineProps>): PropsProblem[] => validatePipelineProps(props(overrides));
const only = (prop: string, message: string): PropsProblem[] => [{ prop, message }];
const x = (n: number) => 'x'.repeat(n);

test('the base props are valid', () => {
  expect(problemsOf({})).toEqual([]);
});

describe('SprykerConfigError', () => {
  test('names the construct, counts the problems and lists each with its prop', () => {
    const error = new SprykerConfigError('SprykerPipeline', [
      { prop: 'environment', message: 'is wrong' },
      { prop: 'services', message: 'is empty' },
    ]);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SprykerConfigError');
    expect(error.construct).toBe('SprykerPipeline');
    expect(error.problems).toHaveLength(2);
    expect(error.message).toBe('SprykerPipeline: 2 problem(s) in props:\n  - environment: is wrong\n  - services: is empty');
  });
});

describe('helpers', () => {
  test('isConcrete: a string known at synth, empty included; not undefined, not a token', () => {
    expect(isConcrete('zed')).toBe(true);
    expect(isConcrete('')).toBe(true);
    expect(isConcrete(undefined)).toBe(false);
    expect(isConcrete(token())).toBe(false);
  });

  test('isProduction: the production prop wins, else the name contains prod', () => {
    expect(isProduction(props({ environment: 'production' }))).toBe(true);
    expect(isProduction(props({ environment: 'eu-preprod' }))).toBe(true);
    expect(isProduction(props({ environment: 'staging' }))).toBe(false);
    expect(isProduction(props({ environment: 'staging', production: true }))).toBe(true);
    expect(isProduction(props({ environment: 'production', production: false }))).toBe(false);
  });

  test('serviceName: the default name, a name, or an imported service', () => {
    expect(serviceName('staging', { application: 'zed' })).toBe('staging-zed');
    expect(serviceName('staging', { application: 'zed', service: 'shop-zed' })).toBe('shop-zed');
    expect(serviceName('staging', { application: 'zed', service: { serviceName: 'imported-zed' } as ecs.IBaseService })).toBe('imported-zed');
  });
});

describe('environment', () => {
  // Services with their own names, so that only the environment is judged.
  const named = (environment: string) =>
    problemsOf({ environment, services: [{ application: 'zed', service: 'zed' }], scheduler: { application: 'scheduler', service: 'scheduler' } });

  test.each(['a', 'staging', 'eu-prod-2', `a${'b'.repeat(30)}`])('%s is allowed', (environment) => {
    expect(named(environment)).toEqual([]);
  });

  test.each(['', `a${'b'.repeat(31)}`, 'Staging', '1staging', '-staging', 'staging_', 'staginG', 'stag ing'])("'%s' is refused", (environment) => {
    expect(named(environment)).toEqual(
      only(
        'environment',
        `'${environment}' is not allowed: use 1-31 lowercase letters, digits and hyphens, starting with a letter (it becomes SSM paths /{env}/... and resource names)`,
      ),
    );
  });

  test('a token is left to CloudFormation, and so are the service names made from it', () => {
    expect(problemsOf({ environment: token() })).toEqual([]);
  });
});

describe('services and scheduler', () => {
  test('an empty list is refused, and the hook service it lacks too', () => {
    expect(problemsOf({ services: [] })).toEqual([
      { prop: 'services', message: 'is empty: list at least one application service (zed, yves, glue, backoffice, ...)' },
      {
        prop: 'hookService',
        message: "'zed' is not one of the services (none): hooks run in a service's task definition; add it to services or set hookService",
      },
    ]);
  });

  const withApp = (application: string) => problemsOf({ services: [{ application: 'zed' }, { application, service: 'shop-app' }] });

  test.each(['a', 'yves', 'backend-gateway', 'glue2', `a${'b'.repeat(39)}`])('application %s is allowed', (application) => {
    expect(withApp(application)).toEqual([]);
  });

  test.each(['', `a${'b'.repeat(40)}`, 'Yves', '2yves', '-yves', 'yves_', 'yveS', 'yves '])("application '%s' is refused", (application) => {
    expect(withApp(application)).toEqual(
      only('services[1].application', `'${application}' is not allowed: use lowercase letters, digits and hyphens (e.g. 'zed', 'backend-gateway')`),
    );
  });

  test('an application listed twice names both places; so does the scheduler', () => {
    expect(problemsOf({ services: [{ application: 'zed' }, { application: 'zed', service: 'other-zed' }] })).toEqual(
      only('services[1].application', "'zed' is listed twice (also services[0]): list each application once"),
    );
    expect(problemsOf({ scheduler: { application: 'yves', service: 'jenkins' } })).toEqual(
      only('scheduler.application', "'yves' is listed twice (also services[1]): list each application once"),
    );
  });

  const withService = (service: string | ecs.IBaseService) => problemsOf({ services: [{ application: 'zed' }, { application: 'yves', service }] });

  test.each(['x', 'Shop_Yves-1', x(255)])('service name %s is allowed', (service) => {
    expect(withService(service)).toEqual([]);
  });

  test.each(['', x(256), 'yves!', '!yves', 'shop yves', 'shop.yves'])("service name '%s' is refused", (service) => {
    expect(withService(service)).toEqual(only('services[1].service', `'${service}' is not an ECS service name: use letters, digits, hyphens and underscores`));
  });

  test("an imported service is judged by its name, a default name by the environment's", () => {
    expect(withService({ serviceName: 'imported-yves' } as ecs.IBaseService)).toEqual([]);
    expect(withService({ serviceName: 'imported yves' } as ecs.IBaseService)).toEqual(
      only('services[1].service', "'imported yves' is not an ECS service name: use letters, digits, hyphens and underscores"),
    );
  });

  test('one ECS service listed twice is refused; two services of unresolved name are not judged', () => {
    expect(problemsOf({ services: [{ application: 'zed', service: 'shop' }, { application: 'yves', service: 'shop' }] })).toEqual(
      only('services[1].service', "ECS service 'shop' is listed twice (also services[0]): each service may be deployed once"),
    );
    const name = token();
    expect(problemsOf({ services: [{ application: 'zed', service: name }, { application: 'yves', service: name }] })).toEqual([]);
    expect(problemsOf({ services: [{ application: 'zed' }, { application: token(), service: 'shop-x' }] })).toEqual([]);
  });

  test('containerImages may be left out or name containers, never be empty', () => {
    expect(problemsOf({ services: [{ application: 'zed', containerImages: { zed: 'zed' } }, { application: 'yves' }] })).toEqual([]);
    expect(problemsOf({ scheduler: { application: 'scheduler', containerImages: {} } })).toEqual(
      only('scheduler.containerImages', 'is empty: name at least one container whose image the release replaces, or leave it out'),
    );
  });
});

describe('hookService and hooks', () => {
  test('the hook service is zed by default, or another of the services; never the scheduler', () => {
    expect(problemsOf({ hookService: 'yves' })).toEqual([]);
    expect(problemsOf({ hookService: 'scheduler' })).toEqual(
      only(
        'hookService',
        "'scheduler' is not one of the services (zed, yves): hooks run in a service's task definition; add it to services or set hookService",
      ),
    );
    expect(problemsOf({ services: [{ application: 'yves' }] })).toEqual(
      only('hookService', "'zed' is not one of the services (yves): hooks run in a service's task definition; add it to services or set hookService"),
    );
  });

  test.each(['', '  ', '\t\n'])("hook command '%s' is refused as empty", (command) => {
    expect(problemsOf({ hooks: { install: command } })).toEqual(
      only('hooks.install', "is an empty string: leave it out for SCCOS's default, or use 'true' to run nothing"),
    );
  });

  test('a command, true, a hook left undefined and a token pass', () => {
    expect(problemsOf({ hooks: { beforeDeploy: 'vendor/bin/install -r pre-deploy', afterDeploy: 'true', install: undefined, destructiveInstall: token() } })).toEqual([]);
  });

  const tooLong = (key: string, length: number) =>
    only(`hooks.${key}`, `makes a RunTask command override of ${length} characters, ECS accepts ${MAX_OVERRIDES_LENGTH}: put the commands in a script in the image and call that`);

  /** A command whose RunTask override in that container, with nothing after it, is `length` characters long. */
  const commandOf = (container: string, length: number) => x(length - hookOverridesLength(container, '', undefined));

  test('the override may be 8192 characters in the hook service container, not one more', () => {
    expect(problemsOf({ hooks: { afterDeploy: commandOf('zed', MAX_OVERRIDES_LENGTH) } })).toEqual([]);
    expect(problemsOf({ hooks: { afterDeploy: commandOf('zed', MAX_OVERRIDES_LENGTH + 1) } })).toEqual(tooLong('afterDeploy', MAX_OVERRIDES_LENGTH + 1));
  });

  test('the scheduler command after the hook counts: the same command is too long before the deployment', () => {
    const command = commandOf('zed', MAX_OVERRIDES_LENGTH);
    // The suspend command is a second argument, run by its own `sh -ec "$2"`.
    const added = hookOverridesLength('zed', '', SCHEDULER_SUSPEND) - hookOverridesLength('zed', '', undefined);
    expect(added).toBeGreaterThan(SCHEDULER_SUSPEND.length);
    expect(problemsOf({ hooks: { beforeDeploy: command } })).toEqual(tooLong('beforeDeploy', MAX_OVERRIDES_LENGTH + added));
  });

  test.each([
    { app: 'zed', 'zed-php-fpm-container': 'zed' },
    { 'zed-php-fpm-container': 'zed', app: 'zed' },
  ])('the longest container name of the hook service bounds the override, wherever it is listed (%o)', (containerImages) => {
    const services = [{ application: 'zed', containerImages }, { application: 'yves' }];
    expect(problemsOf({ services, hooks: { afterDeploy: commandOf('zed-php-fpm-container', MAX_OVERRIDES_LENGTH) } })).toEqual([]);
    expect(problemsOf({ services, hooks: { afterDeploy: commandOf('zed-php-fpm-container', MAX_OVERRIDES_LENGTH + 1) } })).toEqual(
      tooLong('afterDeploy', MAX_OVERRIDES_LENGTH + 1),
    );
  });

  test("the hook service's own containers count, not another service's", () => {
    const services = [{ application: 'zed', containerImages: { 'zed-with-a-much-longer-container-name': 'zed' } }, { application: 'yves' }];
    expect(problemsOf({ services, hookService: 'yves', hooks: { afterDeploy: commandOf('yves', MAX_OVERRIDES_LENGTH) } })).toEqual([]);
  });

  test('a hook service that is missing still has its hooks measured, in a container of its name', () => {
    expect(problemsOf({ hookService: 'backoffice', hooks: { afterDeploy: commandOf('backoffice', MAX_OVERRIDES_LENGTH + 1) } })).toEqual([
      {
        prop: 'hookService',
        message: "'backoffice' is not one of the services (zed, yves): hooks run in a service's task definition; add it to services or set hookService",
      },
      ...tooLong('afterDeploy', MAX_OVERRIDES_LENGTH + 1),
    ]);
  });
});

describe('pipelineType', () => {
  const refused = (environment: string) =>
    only('pipelineType', `'destructive' on production environment '${environment}' wipes its data: set allowDestructiveOnProduction: true to confirm, or use 'normal'`);

  test('destructive on production needs the explicit opt-in', () => {
    expect(problemsOf({ environment: 'production', pipelineType: 'destructive' })).toEqual(refused('production'));
    expect(problemsOf({ environment: 'staging', production: true, pipelineType: 'destructive' })).toEqual(refused('staging'));
    expect(problemsOf({ environment: 'production', pipelineType: 'destructive', allowDestructiveOnProduction: true })).toEqual([]);
  });

  test('normal on production, and destructive elsewhere, pass', () => {
    expect(problemsOf({ environment: 'production', pipelineType: 'normal' })).toEqual([]);
    expect(problemsOf({ environment: 'production' })).toEqual([]);
    expect(problemsOf({ environment: 'staging', pipelineType: 'destructive' })).toEqual([]);
    expect(problemsOf({ environment: 'production', production: false, pipelineType: 'destructive' })).toEqual([]);
  });
});

describe('broker', () => {
  const broker = (overrides: Partial<SprykerBrokerProps> = {}): SprykerBrokerProps => ({
    endpoint: 'https://b-1234.mq.eu-central-1.amazonaws.com',
    adminSecret: secret,
    vhosts: ['de_queue', 'at_queue'],
    ...overrides,
  });
  const brokerProblems = (overrides: Partial<SprykerBrokerProps>) => problemsOf({ broker: broker(overrides) });

  test.each(['https://b-1234.mq.eu-central-1.amazonaws.com', 'https://rabbitmq:15672', 'https://mq.internal/rabbit/api/v2', 'https://mq.internal/myapi'])(
    'endpoint %s is allowed',
    (endpoint) => {
      expect(brokerProblems({ endpoint })).toEqual([]);
    },
  );

  test.each(['rabbitmq:15672', 'ftp://rabbitmq', 'https://', 'https:// rabbitmq', 'https:///rabbitmq', 'see https://rabbitmq', 'httpss://rabbitmq'])(
    "endpoint '%s' is not a URL",
    (endpoint) => {
      expect(brokerProblems({ endpoint })).toEqual(
        only('broker.endpoint', `'${endpoint}' is not a URL: use the management API base URL, e.g. https://b-1234.mq.eu-central-1.amazonaws.com`),
      );
    },
  );

  test.each(['https://rabbitmq/api', 'https://rabbitmq/api/'])("endpoint '%s' is refused for its /api", (endpoint) => {
    expect(brokerProblems({ endpoint })).toEqual(only('broker.endpoint', `'${endpoint}' ends in /api: give the base URL, the handler adds /api/...`));
  });

  test('an endpoint token is not judged', () => {
    expect(brokerProblems({ endpoint: token() })).toEqual([]);
  });

  test('vhosts: at least one, each once, none empty; tokens not judged', () => {
    expect(brokerProblems({ vhosts: [] })).toEqual(only('broker.vhosts', "is empty: declare one vhost per store (broker.namespace, e.g. 'de_queue')"));
    expect(brokerProblems({ vhosts: ['de', 'at', 'de', 'at', 'de', 'ch'] })).toEqual(only('broker.vhosts', 'lists de, at more than once: list each vhost once'));
    expect(brokerProblems({ vhosts: ['de_queue', ''] })).toEqual(only('broker.vhosts[1]', 'is empty: name the vhost (e.g. de_queue)'));
    expect(brokerProblems({ vhosts: [' ', 'de_queue'] })).toEqual(only('broker.vhosts[0]', 'is empty: name the vhost (e.g. de_queue)'));
    expect(brokerProblems({ vhosts: [token(), 'de_queue'] })).toEqual([]);
  });

  const user = (name: string, vhosts?: string[]) => ({ name, passwordSecret: secret, permissions: vhosts?.map((vhost) => ({ vhost })) });

  test.each(['a', 'spryker', 'guests', 'app-user.de_1', x(255)])('user name %s is allowed', (name) => {
    expect(brokerProblems({ users: [user(name)] })).toEqual([]);
  });

  test.each(['', x(256), 'spry ker', 'spryker:', ':spryker', 'spryker ', 'a:b'])("user name '%s' is refused", (name) => {
    expect(brokerProblems({ users: [user('spryker'), user(name)] })).toEqual(
      only('broker.users[1].name', `'${name}' is not allowed: use 1-255 characters without spaces or ':'`),
    );
  });

  test("'guest' is refused, a user declared twice too (the first at index 0); tokens are not judged", () => {
    expect(brokerProblems({ users: [user('guest')] })).toEqual(
      only('broker.users[0].name', "'guest' only logs in from localhost (and Amazon MQ deletes it): choose another name"),
    );
    expect(brokerProblems({ users: [user('spryker'), user('other'), user('spryker')] })).toEqual(
      only('broker.users[2].name', "'spryker' is declared twice (also broker.users[0]): declare each user once"),
    );
    const name = token();
    expect(brokerProblems({ users: [user(name), user(name)] })).toEqual([]);
  });

  test('permissions name declared vhosts, each once per user', () => {
    expect(brokerProblems({ users: [user('spryker', ['de_queue', 'at_queue']), user('other', ['de_queue'])] })).toEqual([]);
    expect(brokerProblems({ users: [user('spryker', ['de_queue', 'fr_queue'])] })).toEqual(
      only('broker.users[0].permissions', "vhost 'fr_queue' is not declared in broker.vhosts: declare it or remove the permission"),
    );
    expect(brokerProblems({ users: [user('spryker', ['de_queue', 'at_queue', 'de_queue'])] })).toEqual(
      only('broker.users[0].permissions', "vhost 'de_queue' is listed twice: a user has one permission per vhost"),
    );
  });
});

describe('source', () => {
  const connection = { connectionArn: 'arn:aws:codestar-connections:eu-central-1:111122223333:connection/abc', repository: 'spryker/b2c-demo-shop' };

  test('exactly one source kind; one left undefined does not count', () => {
    expect(problemsOf({ source: { connection, s3: undefined } })).toEqual([]);
    expect(problemsOf({ source: { connection, s3: { bucket, key: 'source.zip' } } })).toEqual(
      only('source', 'sets connection and s3: choose exactly one source kind'),
    );
    expect(problemsOf({ source: { connection, codeCommit: { repository }, s3: { bucket, key: 'source.zip' } } })).toEqual(
      only('source', 'sets connection and codeCommit and s3: choose exactly one source kind'),
    );
  });

  test.each(['spryker/b2c-demo-shop', 'o/r'])('repository %s is allowed', (repo) => {
    expect(problemsOf({ source: { connection: { ...connection, repository: repo } } })).toEqual([]);
  });

  test.each(['spryker', 'spryker/', '/shop', 'spryker/shop/extra', 'spryker /shop', 'spryker/shop ', ' spryker/shop', 'spryker//shop'])(
    "repository '%s' is not owner/repo",
    (repo) => {
      expect(problemsOf({ source: { connection: { ...connection, repository: repo } } })).toEqual(
        only('source.connection.repository', `'${repo}' is not 'owner/repo'`),
      );
    },
  );

  test('a repository token is not judged', () => {
    expect(problemsOf({ source: { connection: { ...connection, repository: token() } } })).toEqual([]);
  });

  test.each(['branchPatterns', 'tagPatterns'] as const)('%s: 1 to 8 patterns', (kind) => {
    const patterns = (n: number) => Array.from({ length: n }, (_, i) => `release/${i}`);
    const withPatterns = (n: number) => problemsOf({ source: { connection: { ...connection, [kind]: patterns(n) } } });
    expect(withPatterns(1)).toEqual([]);
    expect(withPatterns(8)).toEqual([]);
    for (const n of [0, 9]) {
      expect(withPatterns(n)).toEqual(only(`source.connection.${kind}`, `has ${n} patterns: a push trigger takes 1 to 8 (leave it out for the default)`));
    }
  });

  test('an S3 key may not be empty; a token is not judged', () => {
    expect(problemsOf({ source: { s3: { bucket, key: 'source.zip' } } })).toEqual([]);
    expect(problemsOf({ source: { s3: { bucket, key: token() } } })).toEqual([]);
    for (const key of ['', '  ']) {
      expect(problemsOf({ source: { s3: { bucket, key } } })).toEqual(only('source.s3.key', "is empty: name the archive's object key, e.g. 'source.zip'"));
    }
  });
});

describe('approval', () => {
  const timeoutMessage = 'must be between 5 minutes and 60 days, in whole minutes (CodePipeline manual approval limit)';

  test.each([Duration.minutes(5), Duration.seconds(300), Duration.hours(1), Duration.days(7), Duration.days(60), Duration.minutes(86400)])(
    'timeout %s is allowed',
    (timeout) => {
      expect(problemsOf({ approval: { timeout } })).toEqual([]);
    },
  );

  // CodePipeline takes TimeoutInMinutes 5-86400; a fraction used to throw from Duration.toMinutes() instead.
  test.each([Duration.minutes(4), Duration.seconds(299), Duration.seconds(330), Duration.minutes(86401), Duration.days(61)])('timeout %s is refused', (timeout) => {
    expect(problemsOf({ approval: { timeout } })).toEqual(only('approval.timeout', timeoutMessage));
  });

  test('a timeout token is not judged', () => {
    expect(problemsOf({ approval: { timeout: Duration.minutes(Lazy.number({ produce: () => 1 })) } })).toEqual([]);
  });

  test.each(['ops@shop.de', 'a.b+c@mail.shop.de'])('e-mail %s is allowed', (email) => {
    expect(problemsOf({ approval: { emails: [email, token()] } })).toEqual([]);
  });

  test.each(['ops', 'ops@shop', '@shop.de', 'ops@.de', 'ops@shop.', 'ops@@shop.de', 'ops team@shop.de', 'ops@shop.de ', ' ops@shop.de', 'ops@sh op.de'])(
    "e-mail '%s' is refused",
    (email) => {
      expect(problemsOf({ approval: { emails: ['ops@shop.de', email] } })).toEqual(only('approval.emails[1]', `'${email}' is not an e-mail address`));
    },
  );
});

describe('build', () => {
  const images = ['zed', 'yves', 'scheduler'];
  const notBuilt = (path: string, image: string) => ({
    prop: `${path}.containerImages`,
    message: `image '${image}' is not in build.images: Build_and_Prepare would not produce it; add it to build.images`,
  });

  test('images: every image of the services and the scheduler', () => {
    expect(problemsOf({ build: { images } })).toEqual([]);
    expect(problemsOf({ build: { images: ['zed'] } })).toEqual([notBuilt('services[1]', 'yves'), notBuilt('scheduler', 'scheduler')]);
    expect(problemsOf({ build: { images: [] } })).toEqual([
      { prop: 'build.images', message: 'is empty: leave it out to build every image of the services' },
      notBuilt('services[0]', 'zed'),
      notBuilt('services[1]', 'yves'),
      notBuilt('scheduler', 'scheduler'),
    ]);
  });

  test("a service's containerImages name the images it needs", () => {
    const services = [{ application: 'zed', containerImages: { zed: 'zed-php', nginx: 'zed-nginx' } }, { application: 'yves' }];
    expect(problemsOf({ services, build: { images: ['zed-php', 'zed-nginx', 'yves', 'scheduler'] } })).toEqual([]);
    expect(problemsOf({ services, build: { images: ['zed-php', 'yves', 'scheduler', 'zed'] } })).toEqual([notBuilt('services[0]', 'zed-nginx')]);
  });

  test.each(['a', '1a.b_c-d', `a${'b'.repeat(200)}`])('image key %s is allowed', (key) => {
    expect(problemsOf({ build: { images: [...images, key] } })).toEqual([]);
  });

  test.each(['', `a${'b'.repeat(201)}`, 'Frontend', '.frontend', '_frontend', '-frontend', 'frontend!', 'frontenD', 'front end'])("image key '%s' is refused", (key) => {
    expect(problemsOf({ build: { images: [...images, key] } })).toEqual(
      only('build.images[3]', `'${key}' is not allowed: use lowercase letters, digits, '.', '_' and '-' (it names the ECR repository staging-${key})`),
    );
  });

  test('an image listed twice is refused; a token is not judged', () => {
    expect(problemsOf({ build: { images: [...images, 'zed'] } })).toEqual(only('build.images[3]', "'zed' is listed twice"));
    expect(problemsOf({ build: { images: [...images, token()] } })).toEqual([]);
  });

  const noCommands = only('build.buildCommands', "is empty: leave it out for docker-sdk's build, or give commands that print '<image key> <local image>' per image");

  test('buildCommands: at least one that is not blank', () => {
    expect(problemsOf({ build: { buildCommands: [] } })).toEqual(noCommands);
    expect(problemsOf({ build: { buildCommands: ['', '  '] } })).toEqual(noCommands);
    expect(problemsOf({ build: { buildCommands: ['make images'] } })).toEqual([]);
    expect(problemsOf({ build: { buildCommands: ['', 'make images'] } })).toEqual([]);
    expect(problemsOf({ build: { buildCommands: [token()] } })).toEqual([]);
  });

  test('keepImages: a whole number from 1 to 10000', () => {
    for (const keepImages of [1, 30, 10000]) expect(problemsOf({ build: { keepImages } })).toEqual([]);
    for (const keepImages of [0, -1, 10001, 2.5]) {
      expect(problemsOf({ build: { keepImages } })).toEqual(
        only('build.keepImages', `${keepImages} is not allowed: keep 1 to 10000 images per repository (enough versions for a rollback)`),
      );
    }
  });

  test('timeout: whole minutes from 5 minutes to 36 hours', () => {
    for (const timeout of [Duration.minutes(5), Duration.seconds(360), Duration.hours(36), Duration.minutes(36 * 60)]) {
      expect(problemsOf({ build: { timeout } })).toEqual([]);
    }
    // A fraction of a minute passed here and then made CDK's codebuild.Project throw (Duration.toMinutes).
    for (const timeout of [Duration.minutes(4), Duration.seconds(299), Duration.seconds(301), Duration.minutes(36 * 60 + 1)]) {
      expect(problemsOf({ build: { timeout } })).toEqual(only('build.timeout', 'must be between 5 minutes and 36 hours, in whole minutes (CodeBuild limit)'));
    }
    expect(problemsOf({ build: { timeout: Duration.minutes(Lazy.number({ produce: () => 1 })) } })).toEqual([]);
  });
});

describe('maintenance', () => {
  test('priority: a whole number from 1 to 50000; a token is not judged', () => {
    for (const priority of [1, 100, 50000]) expect(problemsOf({ maintenance: { listener, priority } })).toEqual([]);
    expect(problemsOf({ maintenance: { listener, priority: Lazy.number({ produce: () => 0 }) } })).toEqual([]);
    for (const priority of [0, -1, 50001, 1.5]) {
      expect(problemsOf({ maintenance: { listener, priority } })).toEqual(
        only('maintenance.priority', `${priority} is not a listener rule priority: use a whole number from 1 to 50000, below the shop's own rules`),
      );
    }
  });

  test('every CIDR notation AWS takes passes', () => {
    const allowedIps = ['203.0.113.7/32', '10.0.0.0/8', '1.2.3.4/8', '100.200.255.1/32', '2001:db8::/32', '2001:DB8:ABCD:ef01::/64', '::1/128', 'fe80::/9', token()];
    expect(problemsOf({ maintenance: { listener, allowedIps } })).toEqual([]);
  });

  const notCidr = (ips: string) => only('maintenance.allowedIps', `${ips} not in CIDR notation: write 203.0.113.7/32 for one address, 203.0.113.0/24 for a range`);

  test.each([
    '203.0.113.7',
    '203.0.113.7/',
    '203.0.113.7/321',
    '203.0.113.7/32x',
    'x203.0.113.7/32',
    '203.0.113/24',
    '1.2.3.4.5/8',
    '1234.0.0.0/8',
    '1-2-3-4/8',
    '2001:db8::',
    '2001:db8::/1289',
    '2001:db8::/x',
    'g::/32',
    'fe80:: /9',
  ])("'%s' is not CIDR", (ip) => {
    expect(problemsOf({ maintenance: { listener, allowedIps: ['10.0.0.0/8', ip] } })).toEqual(notCidr(ip));
  });

  test('every bad address is named in one problem', () => {
    expect(problemsOf({ maintenance: { listener, allowedIps: ['203.0.113.7', '10.0.0.0/8', 'office'] } })).toEqual(notCidr('203.0.113.7, office'));
  });

  test('page: at most 1024 characters; a token is not judged', () => {
    expect(problemsOf({ maintenance: { listener, page: x(1024) } })).toEqual([]);
    expect(problemsOf({ maintenance: { listener, page: token() } })).toEqual([]);
    expect(problemsOf({ maintenance: { listener, page: x(1025) } })).toEqual(
      only('maintenance.page', 'is 1025 characters; an ALB fixed response holds at most 1024: shorten it, or link styles and images from elsewhere'),
    );
  });
});

describe('warmUp', () => {
  const warmUp = (overrides: Partial<SprykerWarmUpProps>) => problemsOf({ warmUp: { urls: ['https://www.shop.de/'], ...overrides } });
  const pages = (n: number) => Array.from({ length: n }, (_, i) => `https://www.shop.de/p/${i}`);

  test('urls: at least one, each an http(s) URL; tokens not judged', () => {
    expect(warmUp({ urls: ['https://www.shop.de/', 'http://shop.internal:8080/health', token()] })).toEqual([]);
    expect(warmUp({ urls: [] })).toEqual(only('warmUp.urls', 'is empty: list the pages to warm up (home, a category, a product, ...), or leave warmUp out'));
  });

  test.each(['www.shop.de', 'ftp://shop.de', 'https://', 'https:// shop.de', 'https:///shop', 'see https://shop.de'])("url '%s' is refused", (url) => {
    expect(warmUp({ urls: ['https://www.shop.de/', url] })).toEqual(only('warmUp.urls', `${url} not http(s) URLs: write them in full, e.g. https://www.shop.de/`));
  });

  test('every bad URL is named in one problem', () => {
    expect(warmUp({ urls: ['www.shop.de', 'https://www.shop.de/', 'shop.de/p'] })).toEqual(
      only('warmUp.urls', 'www.shop.de, shop.de/p not http(s) URLs: write them in full, e.g. https://www.shop.de/'),
    );
  });

  test('concurrency: a whole number from 1 to 50 (a wrong one is not also used to estimate the run time)', () => {
    for (const concurrency of [1, 50]) expect(warmUp({ concurrency })).toEqual([]);
    for (const concurrency of [0, 51, 2.5]) {
      expect(warmUp({ concurrency })).toEqual(only('warmUp.concurrency', `${concurrency} is not allowed: use a whole number from 1 to 50`));
    }
  });

  test('timeout: at least 1 second', () => {
    expect(warmUp({ timeout: Duration.seconds(1) })).toEqual([]);
    expect(warmUp({ timeout: Duration.millis(999) })).toEqual(only('warmUp.timeout', 'must be at least 1 second'));
  });

  test('ttfbThreshold: below the timeout, the default 10 s included', () => {
    expect(warmUp({ ttfbThreshold: Duration.millis(9999) })).toEqual([]);
    expect(warmUp({ ttfbThreshold: Duration.seconds(10) })).toEqual(
      only('warmUp.ttfbThreshold', 'must be below warmUp.timeout (10000 ms): a slower first byte already times out'),
    );
    expect(warmUp({ timeout: Duration.seconds(5), ttfbThreshold: Duration.seconds(4) })).toEqual([]);
    expect(warmUp({ timeout: Duration.seconds(5), ttfbThreshold: Duration.seconds(6) })).toEqual(
      only('warmUp.ttfbThreshold', 'must be below warmUp.timeout (5000 ms): a slower first byte already times out'),
    );
  });

  test('the worst case must fit the 14 minutes a step may run', () => {
    const minute = Duration.minutes(1);
    expect(warmUp({ urls: pages(14), concurrency: 1, timeout: minute })).toEqual([]);
    expect(warmUp({ urls: pages(15), concurrency: 1, timeout: minute })).toEqual(
      only(
        'warmUp',
        'requesting 15 pages, 1 at a time, may take 15.0 minutes when every page times out; a step may run 14: raise concurrency, lower timeout, or list fewer pages',
      ),
    );
    // The defaults: 4 at a time, 10 s each: 336 pages fit, 337 need an 85th round.
    expect(warmUp({ urls: pages(336) })).toEqual([]);
    expect(warmUp({ urls: pages(337) })).toEqual(
      only(
        'warmUp',
        'requesting 337 pages, 4 at a time, may take 14.2 minutes when every page times out; a step may run 14: raise concurrency, lower timeout, or list fewer pages',
      ),
    );
  });
});

describe('notifications', () => {
  test('events may be left out or listed, never empty', () => {
    expect(problemsOf({ notifications: {} })).toEqual([]);
    expect(problemsOf({ notifications: { events: ['failed'] } })).toEqual([]);
    expect(problemsOf({ notifications: { events: [] } })).toEqual(
      only('notifications.events', "is empty: list at least one of 'approval-needed', 'failed', 'succeeded', or leave notifications out"),
    );
  });
});

test('problems of every part come in one list, in the order of the props', () => {
  expect(
    problemsOf({
      environment: 'Staging',
      services: [{ application: 'zed', service: 'zed' }],
      scheduler: { application: 'scheduler', service: 'scheduler' },
      broker: { endpoint: 'rabbitmq', adminSecret: secret, vhosts: [] },
      approval: { emails: ['ops'] },
      build: { keepImages: 0 },
      maintenance: { listener, priority: 0 },
      notifications: { events: [] },
    }).map((p) => p.prop),
  ).toEqual(['environment', 'broker.endpoint', 'broker.vhosts', 'approval.emails[0]', 'build.keepImages', 'maintenance.priority', 'notifications.events']);
});
