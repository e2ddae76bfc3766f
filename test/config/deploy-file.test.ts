import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { preflight, readDeployFile, sprykerPipelinePropsFromDeployFile, type DeployFileOverrides } from '../../lib/config/deploy-file';
import { PreflightError } from '../../lib/config/preflight';
import { DEFAULT_HOOKS } from '../../lib/config/types';
import { SprykerPipeline } from '../../lib';
import { testApp } from '../infra/helpers';

const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', 'deploy-files', name);

function withStack(): { stack: Stack; secret: (name: string) => secretsmanager.ISecret } {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  return { stack, secret: (name) => secretsmanager.Secret.fromSecretNameV2(stack, name, name) };
}

describe('readDeployFile: the reference shops', () => {
  test('B2C: hooks, store vhosts, applications, merge keys from anchors', () => {
    const config = readDeployFile(fixture('deploy.b2c-production.yml'));
    expect(config).toMatchObject({ project: 'b2c', environment: 'production', dynamicStoreMode: false, loadProblems: [] });
    expect(config.hooks).toEqual({
      beforeDeploy: 'vendor/bin/install -r EU/pre-deploy -vvv',
      install: 'vendor/bin/install -r EU/production --no-ansi -vvv',
      destructiveInstall: 'vendor/bin/install -r EU/destructive --no-ansi -vvv',
      afterDeploy: 'true',
    });
    expect(config.applications.map((a) => [a.key, a.application])).toEqual([
      ['yves', 'yves'],
      ['boffice', 'backoffice'],
      ['backgw', 'backend-gateway'],
      ['glue', 'glue'],
    ]);
    // `<<: *frontend-auth` merged `real-ip` into the endpoint, through two anchors.
    const endpoint = (config.data as any).groups.EU.applications.yves.endpoints['www.de.b2c.example.com'];
    expect(endpoint).toEqual({ store: 'DE', 'real-ip': { from: ['10.0.0.0/8'] } });
    expect(config.broker).toMatchObject({ engine: 'rabbitmq', apiUser: 'spryker' });
  });

  test('marketplace: imports from the project layer with dynamic parameters; the importing file wins', () => {
    const config = readDeployFile(fixture('deploy.marketplace-production.yml'));
    expect(config.loadProblems).toEqual([]);
    expect(config.files.map((f) => path.basename(f))).toEqual(['deploy.marketplace-production.yml', 'spryker.deploy.template.yml']);
    expect(config.data.namespace).toBe('marketplace-production');
    expect(config.hooks).toEqual({
      beforeDeploy: 'vendor/bin/install -r EU/pre-deploy -vvv',
      install: 'vendor/bin/install -r EU/production --no-ansi -vvv',
      destructiveInstall: 'vendor/bin/install -r EU/destructive --no-ansi -vvv',
      afterDeploy: 'vendor/bin/console queue:worker:start --stop-when-empty',
    });
    expect(Object.keys(config.data.services as object)).toEqual(['broker', 'scheduler']); // mail_catcher: ~ removed it
    expect(config.scheduler).toEqual({ engine: 'jenkins' });
    // A finding in imported content points into the template.
    expect(config.locate(['services', 'scheduler', 'engine'])).toMatchObject({ file: expect.stringMatching(/spryker\.deploy\.template\.yml$/), line: 20 });
  });

  test('templateDirs replaces the layers', () => {
    const config = readDeployFile(fixture('deploy.marketplace-production.yml'), { templateDirs: ['nowhere'] });
    expect(config.loadProblems.map((p) => p.kind)).toEqual(['import-skipped']);
  });
});

describe('sprykerPipelinePropsFromDeployFile', () => {
  test('B2C: file parts, one ECS service per application type, Zed application for hooks', () => {
    const { secret } = withStack();
    const adminSecret = secret('admin');
    const props = sprykerPipelinePropsFromDeployFile(fixture('deploy.b2c-production.yml'), {
      cluster: 'production-spryker',
      broker: { endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com', adminSecret, userSecrets: { spryker: secret('spryker') } },
    });
    expect(props).toMatchObject({
      environment: 'production',
      cluster: 'production-spryker',
      services: [{ application: 'yves' }, { application: 'backoffice' }, { application: 'backend-gateway' }, { application: 'glue' }],
      scheduler: { application: 'scheduler', containerImages: { jenkins: 'jenkins' } },
      hookService: 'backoffice',
      hooks: { afterDeploy: 'true', install: DEFAULT_HOOKS.install },
      broker: { vhosts: ['de_queue', 'at_queue'], users: [{ name: 'spryker', tags: ['management'] }], adminSecret },
    });
    expect(props.services.every((s) => s.service === undefined)).toBe(true); // `${env}-${app}`, validate's default
    expect(props.preflightWarnings.map((w) => w.code)).toEqual(['SDF305']);
  });

  test('B2B: zed runs the hooks; store users get their own vhost; defaults for absent hooks', () => {
    const { secret } = withStack();
    const props = sprykerPipelinePropsFromDeployFile(fixture('deploy.b2b-staging.yml'), {
      cluster: 'c',
      broker: { endpoint: 'http://rabbitmq:15672', adminSecret: secret('admin'), userSecrets: { b2b_de: secret('de'), b2b_at: secret('at') } },
    });
    expect(props.hookService).toBe('zed');
    expect(props.hooks).toEqual({});
    expect(props.broker?.vhosts).toEqual(['de_queue', 'at_queue', 'us_queue']);
    expect(props.broker?.users?.map((u) => [u.name, u.permissions])).toEqual([
      ['b2b_de', [{ vhost: 'de_queue' }]],
      ['b2b_at', [{ vhost: 'at_queue' }]],
    ]);
    // spryker (API user) and b2b_us have no secret: not managed, and said so.
    expect(props.preflightWarnings.map((w) => [w.code, w.path])).toEqual([
      ['SDF306', 'services.broker.api.username'],
      ['SDF306', 'regions.EU.stores.US.services.broker.username'],
    ]);
  });

  test('Dynamic Multistore: region vhosts; naming by key gives one service per region', () => {
    const byType = sprykerPipelinePropsFromDeployFile(fixture('deploy.dms-production.yml'), { cluster: 'c' });
    expect(byType.services).toEqual([{ application: 'yves' }, { application: 'backoffice' }]);
    expect(byType.preflightWarnings.map((w) => w.code)).toEqual(['SDF308', 'SDF407', 'SDF407']);

    const byKey = sprykerPipelinePropsFromDeployFile(fixture('deploy.dms-production.yml'), { cluster: 'c' }, { serviceName: (app, env) => `${env}-${app.key}` });
    expect(byKey.services).toEqual([
      { application: 'yves-eu', service: 'production-yves_eu', containerImages: { 'yves-eu': 'yves' } },
      { application: 'backoffice-eu', service: 'production-backoffice_eu', containerImages: { 'backoffice-eu': 'backoffice' } },
      { application: 'yves-us', service: 'production-yves_us', containerImages: { 'yves-us': 'yves' } },
      { application: 'backoffice-us', service: 'production-backoffice_us', containerImages: { 'backoffice-us': 'backoffice' } },
    ]);
    expect(byKey.hookService).toBe('backoffice-eu'); // the first Zed application type, by its key
  });

  test('props override the file: hooks key by key, services, environment', () => {
    const props = sprykerPipelinePropsFromDeployFile(fixture('deploy.b2c-production.yml'), {
      cluster: 'c',
      environment: 'prod-eu',
      hooks: { afterDeploy: 'vendor/bin/console cache:warmup' },
      services: [{ application: 'zed' }],
      hookService: 'zed',
    });
    expect(props.environment).toBe('prod-eu');
    expect(props.services).toEqual([{ application: 'zed' }]);
    expect(props.hooks).toMatchObject({ afterDeploy: 'vendor/bin/console cache:warmup', beforeDeploy: 'vendor/bin/install -r EU/pre-deploy -vvv' });
  });

  test('critical findings throw one error listing every code and fix', () => {
    const overrides: DeployFileOverrides = { cluster: 'c', hookService: 'zed' };
    const run = () => sprykerPipelinePropsFromDeployFile(path.join(fixture('broken'), 'SDF501', 'deploy.shop-staging.yml'), overrides);
    expect(run).toThrow(PreflightError);
    expect(run).toThrow(
      /2 critical preflight finding\(s\), nothing deployed:\n {2}- SDF409 critical: hookService 'zed' is not one of the applications \(yves, backoffice\)\. Fix: .*\n {2}- SDF501 critical services \(.*:\d+:\d+\): services\.scheduler is missing/,
    );
  });

  test('a naming that puts two application types in one service is critical (SDF408)', () => {
    const config = readDeployFile(fixture('deploy.shop-staging.yml'));
    const findings = preflight(config, { serviceName: () => 'shop' });
    expect(findings.map((f) => f.code)).toEqual(['SDF408', 'SDF409']); // and its first type, yves, cannot run the hooks
    expect(findings[0].message).toBe('serviceName gives ECS service shop to applications yves, boffice of types yves, backoffice');
  });

  test('a destructive pipeline allowed on production is a warning (SDF204)', () => {
    const props = sprykerPipelinePropsFromDeployFile(fixture('deploy.marketplace-production.yml'), {
      cluster: 'c',
      pipelineType: 'destructive',
      allowDestructiveOnProduction: true,
    });
    expect(props.preflightWarnings.map((w) => w.code)).toEqual(['SDF204', 'SDF308']);
  });

  test('the pipeline reports the warnings as annotations, and the file password reaches no template', () => {
    const { stack, secret } = withStack();
    const props = sprykerPipelinePropsFromDeployFile(fixture('deploy.b2c-production.yml'), {
      cluster: 'production-spryker',
      broker: { endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com', adminSecret: secret('admin'), userSecrets: { spryker: secret('spryker') } },
    });
    new SprykerPipeline(stack, 'Pipeline', props);
    Annotations.fromStack(stack).hasWarning('/Test/Pipeline', Match.stringLikeRegexp('^SDF305 warning services\\.broker\\.api\\.password .*deploy\\.b2c-production\\.yml:102:23\\): a broker password'));
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('b2c-file-password-7f3a');
  });
});
