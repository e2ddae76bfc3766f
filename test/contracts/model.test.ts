/** The deployment model contract (lib/contracts/model.ts): the stack writes it to SSM at synth, every handler parses it. */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DeploymentModel, type ModelService } from '../../lib/contracts/model';
import { SprykerDeployment } from '../../lib/deployment';
import { baseProps, testApp } from '../infra/helpers';
import { problems } from './problems';

const svc = (app: string): ModelService => ({ app, service: `production-${app}`, containers: { [app]: app } });
const model: DeploymentModel = {
  v: 1,
  env: 'production',
  cluster: 'production-spryker',
  services: [svc('zed'), svc('yves'), { app: 'backoffice', service: 'production-backoffice', containers: { backoffice: 'zed', 'log-router': 'fluent-bit' } }],
  scheduler: svc('scheduler'),
  hookService: 'zed',
  hooks: { beforeDeploy: 'vendor/bin/install -r pre-deploy -vvv', install: 'vendor/bin/install -r EU/production --no-ansi -vvv' },
};

test('a model as the stack writes it parses unchanged', () => {
  expect(DeploymentModel.parse(model)).toEqual(model);
});

test('every broken field of a model, by its path', () => {
  const bad = {
    ...model,
    v: 2,
    cluster: '',
    services: [svc('zed'), { app: 'yves', service: 'production-yves' }, { ...svc('glue'), containers: ['glue'] }, null],
    scheduler: undefined,
    hooks: { install: 5 },
  };
  expect(problems(DeploymentModel, bad)).toEqual([
    'v: expected 1',
    'cluster: expected a non-empty string',
    'services[1].containers: required',
    'services[2].containers: expected object, got array',
    'services[3]: expected object, got null',
    'scheduler: required',
    'hooks.install: expected string, got number',
  ]);
});

test('an empty container or image key is refused', () => {
  expect(problems(DeploymentModel, { ...model, scheduler: { ...svc('scheduler'), containers: { jenkins: '' } } })).toEqual(['scheduler.containers.jenkins: expected a non-empty string']);
});

test('the model the stack synthesizes is the contract; a model the handlers would refuse fails the synth', () => {
  const stack = new Stack(testApp(), 'Model');
  new SprykerDeployment(stack, 'Deployment', baseProps({ environment: 'production', cluster: 'production-spryker' }));
  const parameter = Object.values(Template.fromStack(stack).findResources('AWS::SSM::Parameter', { Properties: { Name: '/production/pipeline/model' } }))[0] as any;
  const written = DeploymentModel.parse(JSON.parse(parameter.Properties.Value));
  expect(written).toMatchObject({ v: 1, env: 'production', cluster: 'production-spryker', hookService: 'zed' });

  const broken = new Stack(testApp(), 'Broken');
  new SprykerDeployment(broken, 'Deployment', baseProps({ environment: 'production', cluster: '', hookService: '' }));
  expect(() => Template.fromStack(broken)).toThrow('SprykerDeployment production: the deployment model is invalid: cluster: expected a non-empty string; hookService: expected a non-empty string');
});
