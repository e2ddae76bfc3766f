/**
 * Each step's UserParameters (lib/contracts/params.ts, maintenance.ts, warm-up.ts): valid and
 * invalid examples, and every Lambda action the stages synthesize parsed with its handler's schema.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as z from 'zod';
import { SprykerMaintenancePipelines, SprykerPipeline, SprykerRolloutSchedulerPipeline } from '../../lib';
import { parseContract } from '../../lib/contracts/issues';
import { MaintenanceConfig, MaintenanceParams } from '../../lib/contracts/maintenance';
import { DeploymentModel } from '../../lib/contracts/model';
import {
  DeployParams,
  PostDeploymentConfigurationParams,
  PreDeploymentConfigurationParams,
  PrepareVersionParams,
  ReleaseDiffParams,
  RunHookParams,
  UpdateDeployedVersionParams,
  ReportParams,
} from '../../lib/contracts/params';
import { WarmUpConfig, WarmUpParams } from '../../lib/contracts/warm-up';
import { maintenance } from '../companion/helpers';
import { baseProps, testApp } from '../infra/helpers';
import { problems } from './problems';

const MODEL = '/production/pipeline/model';

test('Deploy: a selection and an optional revision', () => {
  expect(DeployParams.parse({ model: MODEL, services: 'application' })).toEqual({ model: MODEL, services: 'application' });
  expect(DeployParams.parse({ model: MODEL, services: 'scheduler', revision: 'current' })).toEqual({ model: MODEL, services: 'scheduler', revision: 'current' });
  expect(problems(DeployParams, { services: 'frontend', revision: 'latest' })).toEqual([
    'model: required',
    'services: expected one of "application", "scheduler", "all"',
    'revision: expected one of "release", "current"',
  ]);
});

test('Run hook: the hook, where it runs, its time limit; the maintenance fields optional but never empty', () => {
  const install = { model: MODEL, hook: 'install', taskDefinition: 'release', then: 'vendor/bin/console scheduler:setup -vvv --no-ansi', timeoutMinutes: 60 };
  expect(RunHookParams.parse(install)).toEqual(install);
  expect(RunHookParams.parse({ ...install, maintenance: '/production/pipeline/maintenance', schemaRisk: 'breaking' })).toMatchObject({ schemaRisk: 'breaking' });
  expect(problems(RunHookParams, { ...install, hook: 'migrate', taskDefinition: undefined, then: '', timeoutMinutes: 0, schemaRisk: 3 })).toEqual([
    'hook: expected one of "beforeDeploy", "install", "destructiveInstall", "afterDeploy"',
    'taskDefinition: required',
    'then: expected a non-empty string',
    'timeoutMinutes: expected more than 0',
    'schemaRisk: expected string, got number',
  ]);
});

test('Prepare versions and Release diff: an S3 source object has a bucket and a key', () => {
  const prepare = { sourceVersion: 'v1', desiredVersionParameter: '/production/desired_version', lastDeployedVersionParameter: '/production/lastdeployedversion' };
  expect(PrepareVersionParams.parse({ ...prepare, sourceObject: { bucket: 'src', key: 'source.zip' } })).toMatchObject({ sourceObject: { bucket: 'src', key: 'source.zip' } });
  expect(problems(PrepareVersionParams, { ...prepare, sourceObject: { bucket: '' }, desiredVersionParameter: undefined })).toEqual([
    'sourceObject.bucket: expected a non-empty string',
    'sourceObject.key: required',
    'desiredVersionParameter: required',
  ]);
  expect(problems(ReleaseDiffParams, { environment: 'production', version: 'v', lastDeployedVersion: 'none', executionId: 'e', reportBucket: 'r', model: '/production/pipeline/model', sourceObject: 'src/source.zip' })).toEqual([
    'confirmParameter: required',
    'sourceObject: expected object, got string',
  ]);
});

test('Pre_ and Post_Deployment_Configuration: the model only', () => {
  expect(PreDeploymentConfigurationParams.parse({ model: MODEL })).toEqual({ model: MODEL });
  expect(problems(PostDeploymentConfigurationParams, { model: 7, services: 'all' })).toEqual(['model: expected string, got number', 'services: unknown field']);
});

test('UpdateDeployedVersion: at least two releases kept, a whole number', () => {
  const update = { parameter: '/production/lastdeployedversion', releaseTable: 't', keepReleases: 100, keptTagPrefix: 'kept-', releaseArtifact: 'Release', imagesArtifact: 'Images' };
  expect(UpdateDeployedVersionParams.parse(update)).toEqual(update);
  expect(problems(UpdateDeployedVersionParams, { ...update, keepReleases: 1 })).toEqual(['keepReleases: expected at least 2']);
  expect(problems(UpdateDeployedVersionParams, { ...update, keepReleases: 2.5, imagesArtifact: undefined })).toEqual(['keepReleases: expected integer, got number', 'imagesArtifact: required']);
});

describe('what the stages synthesize is what the handlers parse', () => {
  const stack = new Stack(testApp(), 'Contracts');
  const pipeline = new SprykerPipeline(stack, 'Pipeline', baseProps({ maintenance: { ...maintenance(stack), duringInstall: 'auto' }, warmUp: { urls: ['https://shop.example/'] } }));
  new SprykerMaintenancePipelines(stack, 'Maintenance', { pipeline });
  new SprykerRolloutSchedulerPipeline(stack, 'RolloutScheduler', { pipeline });
  const template = Template.fromStack(stack);
  /** A rendered value with its tokens (Ref, GetAtt) replaced by a placeholder: only the shape is checked. */
  const literal = (value: unknown): string =>
    typeof value === 'string' ? value : (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'] ? (value as any)['Fn::Join'][1].map(literal).join('') : 'TOKEN';

  /** The schema of each handler, by the action that invokes it (the RabbitMQ step's own schema lives on branch rabbit). */
  const schemaOf: Record<string, z.ZodType | 'not here'> = {
    Prepare_versions: PrepareVersionParams,
    Release_diff: ReleaseDiffParams,
    Configure_RabbitMQ_Vhosts_and_Permissions: 'not here',
    'Run_pre-deploy_hook': RunHookParams,
    Run_install: RunHookParams,
    'Run_post-deploy_hook': RunHookParams,
    Pre_Deployment_Configuration: PreDeploymentConfigurationParams,
    Deploy_Scheduler: DeployParams,
    Deploy_Spryker_services: DeployParams,
    Rollout_Scheduler: DeployParams,
    UpdateDeployedVersion: UpdateDeployedVersionParams,
    Post_Deployment_Configuration: PostDeploymentConfigurationParams,
    Warm_up_and_smoke_check: WarmUpParams,
    Enable_maintenance: MaintenanceParams,
    Disable_maintenance: MaintenanceParams,
    Report: ReportParams,
  };

  test('every Lambda action of every pipeline of the environment', () => {
    const seen: string[] = [];
    const refused: string[] = [];
    for (const p of Object.values(template.findResources('AWS::CodePipeline::Pipeline')) as any[]) {
      for (const stage of p.Properties.Stages) {
        for (const action of stage.Actions.filter((a: any) => a.ActionTypeId.Provider === 'Lambda')) {
          const schema = schemaOf[action.Name];
          if (!schema) throw new Error(`no schema known for action ${action.Name}: add it here`);
          if (schema === 'not here') continue;
          seen.push(action.Name);
          const parsed = parseContract(schema, JSON.parse(literal(action.Configuration.UserParameters)));
          if (!parsed.ok) refused.push(`${p.Properties.Name}/${action.Name}: ${parsed.problems.join('; ')}`);
        }
      }
    }
    expect(refused).toEqual([]);
    // Each action above was met at least once (Rollout_Scheduler with revision current, both maintenance modes, Run_install with schemaRisk).
    expect(new Set(seen)).toEqual(new Set(Object.keys(schemaOf).filter((k) => schemaOf[k] !== 'not here')));
  });

  test('the SSM documents: model, maintenance and warm-up configuration', () => {
    const value = (name: string) => {
      const found = Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: name } })) as any[];
      expect(found).toHaveLength(1);
      return JSON.parse(literal(found[0].Properties.Value));
    };
    expect(DeploymentModel.safeParse(value('/staging/pipeline/model')).success).toBe(true);
    expect(MaintenanceConfig.safeParse(value('/staging/pipeline/maintenance')).success).toBe(true);
    expect(WarmUpConfig.safeParse(value('/staging/pipeline/warm-up')).success).toBe(true);
  });
});
