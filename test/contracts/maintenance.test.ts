/** Maintenance mode's contracts (lib/contracts/maintenance.ts): the SSM configuration, the action's UserParameters, the lift's event input. */
import { LiftAfterExecution, MaintenanceConfig, MaintenanceParams } from '../../lib/contracts/maintenance';
import { problems } from './problems';

const config: MaintenanceConfig = {
  v: 1,
  env: 'production',
  listenerArn: 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:listener/app/shop/1/2',
  priority: 1,
  allowedIps: ['203.0.113.0/24'],
  page: '<h1>back soon</h1>',
  contentType: 'text/html',
};

test('the configuration parses as the stack writes it; every broken field by path', () => {
  expect(MaintenanceConfig.parse(config)).toEqual(config);
  expect(problems(MaintenanceConfig, { ...config, priority: 0, allowedIps: ['203.0.113.0/24', ''], page: 'x'.repeat(1025), contentType: undefined })).toEqual([
    'priority: expected at least 1',
    'allowedIps[1]: expected a non-empty string',
    'page: expected at most 1024 character(s)',
    'contentType: required',
  ]);
});

test('UserParameters: a mode of enable or disable, nothing else', () => {
  expect(MaintenanceParams.parse({ config: '/production/pipeline/maintenance', mode: 'enable' })).toEqual({ config: '/production/pipeline/maintenance', mode: 'enable' });
  expect(problems(MaintenanceParams, { mode: 'pause', allowedIps: [] })).toEqual(['config: required', 'mode: expected one of "enable", "disable"', 'allowedIps: unknown field']);
});

test('the lift event names its pipeline execution', () => {
  const input = { liftAfterExecution: { config: '/production/pipeline/maintenance', pipeline: 'production-normal', executionId: 'e-1', stage: 'Run_install', state: 'FAILED' } };
  expect(LiftAfterExecution.parse(input)).toEqual(input);
  expect(problems(LiftAfterExecution, { liftAfterExecution: { ...input.liftAfterExecution, executionId: '', state: undefined } })).toEqual([
    'liftAfterExecution.executionId: expected a non-empty string',
    'liftAfterExecution.state: required',
  ]);
});
