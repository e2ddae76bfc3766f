import { Stack } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import { Template } from 'aws-cdk-lib/assertions';
import {
  SprykerDestructivePipeline,
  SprykerMaintenancePipelines,
  SprykerPipeline,
  SprykerRolloutSchedulerPipeline,
  type SprykerPipelineProps,
} from '../../lib';
import { demoServices } from '../../bin/demo';
import { baseProps, testApp } from '../infra/helpers';
import { maintenance } from './helpers';

type Cfn = Record<string, any>;

function environment(overrides: (stack: Stack) => Partial<SprykerPipelineProps> = () => ({}), destructive: { allowDestructiveOnProduction?: boolean } = {}) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const normal = new SprykerPipeline(stack, 'Pipeline', baseProps({ maintenance: maintenance(stack), notifications: {}, ...overrides(stack) }));
  const destructivePipeline = new SprykerDestructivePipeline(stack, 'Destructive', { pipeline: normal, ...destructive });
  const rollout = new SprykerRolloutSchedulerPipeline(stack, 'RolloutScheduler', { pipeline: normal });
  const maintenancePipelines = new SprykerMaintenancePipelines(stack, 'Maintenance', { pipeline: normal });
  return { stack, normal, destructivePipeline, rollout, maintenancePipelines, template: Template.fromStack(stack) };
}

const pipelines = (template: Template): Record<string, Cfn> =>
  Object.fromEntries(Object.values(template.findResources('AWS::CodePipeline::Pipeline')).map((p) => [p.Properties.Name, p.Properties]));
const stage = (pipeline: Cfn, name: string): Cfn => pipeline.Stages.find((s: Cfn) => s.Name === name);
const action = (pipeline: Cfn, name: string): Cfn => stage(pipeline, name).Actions[0];
const params = (pipeline: Cfn, name: string) => JSON.parse(action(pipeline, name).Configuration.UserParameters);

describe('companion pipelines of one environment', () => {
  const { template } = environment();
  const all = pipelines(template);

  test('five pipelines: deploy, destructive, rollout scheduler, maintenance on and off', () => {
    expect(Object.keys(all).sort()).toEqual([
      'staging-deploy',
      'staging-destructive',
      'staging-maintenance-disable',
      'staging-maintenance-enable',
      'staging-rollout-scheduler',
    ]);
  });

  test('the destructive pipeline has the same stages; its Run_install runs the destructive install hook', () => {
    expect(all['staging-destructive'].Stages.map((s: Cfn) => s.Name)).toEqual(all['staging-deploy'].Stages.map((s: Cfn) => s.Name));
    expect(params(all['staging-destructive'], 'Run_install')).toMatchObject({ hook: 'destructiveInstall' });
    expect(params(all['staging-deploy'], 'Run_install')).toMatchObject({ hook: 'install' });
  });

  test('one model, one set of version parameters, one config each: no SSM name or ECR repository twice', () => {
    const names = Object.values(template.findResources('AWS::SSM::Parameter')).map((p) => p.Properties.Name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['/staging/pipeline/model', '/staging/pipeline/maintenance']));
    const repositories = Object.values(template.findResources('AWS::ECR::Repository')).map((r) => r.Properties.RepositoryName);
    expect(new Set(repositories).size).toBe(repositories.length);
    expect(repositories.length).toBeGreaterThan(0);
    // The version parameters are written once, by the normal pipeline's construct.
    const writers = Object.entries(template.toJSON().Resources as Record<string, Cfn>).filter(([, r]) => JSON.stringify(r.Properties ?? {}).includes('/staging/desired_version') && (r.Type.startsWith('Custom::') || r.Type === 'AWS::SSM::Parameter'));
    expect(writers.length).toBeGreaterThan(0);
    expect(writers.filter(([id]) => !id.startsWith('Pipeline'))).toEqual([]);
  });

  test('hooks, deploys and the broker configuration run through the same handlers as the normal pipeline', () => {
    const fn = (p: string, s: string) => action(all[p], s).Configuration.FunctionName.Ref;
    expect(fn('staging-destructive', 'Run_install')).toBe(fn('staging-deploy', 'Run_install'));
    expect(fn('staging-destructive', 'Deploy_Spryker_services')).toBe(fn('staging-deploy', 'Deploy_Spryker_services'));
    expect(fn('staging-destructive', 'Configure_RabbitMQ_Vhosts_and_Permissions')).toBe(fn('staging-deploy', 'Configure_RabbitMQ_Vhosts_and_Permissions'));
    for (const s of ['Pre_Deployment_Configuration', 'UpdateDeployedVersion', 'Post_Deployment_Configuration']) {
      expect(fn('staging-destructive', s)).toBe(fn('staging-deploy', s));
    }
    expect(fn('staging-rollout-scheduler', 'Rollout_Scheduler')).toBe(fn('staging-deploy', 'Deploy_Scheduler'));
    expect(fn('staging-maintenance-enable', 'Enable_maintenance')).toBe(fn('staging-maintenance-disable', 'Disable_maintenance'));
  });

  test('the companions read the normal pipeline\'s source object, and only the normal pipeline starts on an upload', () => {
    const source = (p: string) => action(all[p], 'Source').Configuration;
    for (const p of ['staging-destructive', 'staging-rollout-scheduler', 'staging-maintenance-enable']) {
      expect(source(p)).toEqual(source('staging-deploy'));
      expect(source(p).PollForSourceChanges).toBe(false);
    }
    const targets = Object.values(template.findResources('AWS::Events::Rule')).flatMap((r) => r.Properties.Targets ?? []);
    const started = targets.map((t: Cfn) => JSON.stringify(t.Arn));
    const pipelineIds = Object.entries(template.findResources('AWS::CodePipeline::Pipeline')).map(([id, p]) => [id, p.Properties.Name]);
    const startedNames = pipelineIds.filter(([id]) => started.some((s) => s.includes(`"${id}"`))).map(([, name]) => name);
    expect(startedNames).toEqual(['staging-deploy']);
  });

  test('Rollout_Scheduler redeploys only the scheduler on its current task definition, without release artifact', () => {
    const rollout = all['staging-rollout-scheduler'];
    expect(rollout.Stages.map((s: Cfn) => s.Name)).toEqual(['Source', 'Rollout_Scheduler']);
    expect(params(rollout, 'Rollout_Scheduler')).toEqual({ model: '/staging/pipeline/model', services: 'scheduler', revision: 'current' });
    expect(action(rollout, 'Rollout_Scheduler').InputArtifacts).toBeUndefined();
  });

  test('maintenance pipelines turn the environment\'s maintenance on and off', () => {
    expect(all['staging-maintenance-enable'].Stages.map((s: Cfn) => s.Name)).toEqual(['Source', 'Enable_maintenance']);
    expect(params(all['staging-maintenance-enable'], 'Enable_maintenance')).toEqual({ config: '/staging/pipeline/maintenance', mode: 'enable' });
    expect(params(all['staging-maintenance-disable'], 'Disable_maintenance')).toEqual({ config: '/staging/pipeline/maintenance', mode: 'disable' });
  });

  test('every pipeline reports to the one topic of the environment', () => {
    const rules = Object.values(template.findResources('AWS::CodeStarNotifications::NotificationRule'));
    expect(rules).toHaveLength(5);
    expect(new Set(rules.map((r) => JSON.stringify(r.Properties.Targets))).size).toBe(1);
    expect(Object.keys(template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'staging deployments' } }))).toHaveLength(1);
  });

  test('the companions share the normal pipeline\'s artifact bucket', () => {
    const buckets = new Set(Object.values(all).map((p) => JSON.stringify(p.ArtifactStores?.[0]?.ArtifactStore.Location ?? p.ArtifactStore.Location)));
    expect(buckets.size).toBe(2); // the deploy pipeline's (shared by the short companions) and the destructive pipeline's own
  });
});

describe('guards', () => {
  test('a destructive pipeline on production needs the explicit opt-in', () => {
    expect(() => environment(() => ({ environment: 'production', cluster: 'production-spryker' }))).toThrow(
      /pipelineType: 'destructive' on production environment 'production' wipes its data: set allowDestructiveOnProduction: true/,
    );
    const { template } = environment(() => ({ environment: 'production', cluster: 'production-spryker' }), { allowDestructiveOnProduction: true });
    expect(Object.keys(pipelines(template))).toContain('production-destructive');
  });

  test('a CodeStar connection source: the destructive pipeline detects no changes and has no push trigger', () => {
    const { template } = environment(() => ({
      source: { connection: { connectionArn: 'arn:aws:codestar-connections:eu-central-1:111122223333:connection/abc', repository: 'acme/shop' } },
    }));
    const all = pipelines(template);
    expect(action(all['staging-destructive'], 'Source').Configuration.DetectChanges).toBe(false);
    expect(all['staging-destructive'].Triggers).toBeUndefined();
    expect(action(all['staging-rollout-scheduler'], 'Source').Configuration.DetectChanges).toBe(false);
    expect(all['staging-deploy'].Triggers).toHaveLength(1);
  });

  test('a CodeCommit source: only the normal pipeline starts on a commit', () => {
    const { template } = environment((stack) => ({
      source: { codeCommit: { repository: codecommit.Repository.fromRepositoryName(stack, 'Repo', 'shop'), branch: 'production' } },
    }));
    const ids = Object.fromEntries(Object.entries(template.findResources('AWS::CodePipeline::Pipeline')).map(([id, r]) => [r.Properties.Name, id]));
    const rules = Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.codecommit'] } } }));
    const started = rules.flatMap((r) => r.Properties.Targets.map((t: Cfn) => JSON.stringify(t.Arn)));
    expect(started).toHaveLength(1);
    expect(started[0]).toContain(ids['staging-deploy']);
    expect(rules[0].Properties.EventPattern.detail.referenceName).toEqual(['production']);
  });

  test('maintenance pipelines without maintenance props say what is missing', () => {
    const stack = new Stack(testApp(), 'NoMaintenance');
    const normal = new SprykerPipeline(stack, 'Pipeline', baseProps());
    expect(() => new SprykerMaintenancePipelines(stack, 'Maintenance', { pipeline: normal })).toThrow(/no maintenance props: set maintenance on the pipeline/);
  });

  test('maintenance pipelines take their own props only when the pipeline has none', () => {
    const stack = new Stack(testApp(), 'OwnMaintenance');
    const plain = new SprykerPipeline(stack, 'Pipeline', baseProps());
    const pipelines = new SprykerMaintenancePipelines(stack, 'Maintenance', { pipeline: plain, maintenance: maintenance(stack, { priority: 7 }) });
    expect(pipelines.maintenance.props.priority).toBe(7);
    const other = new Stack(testApp(), 'Twice');
    const configured = new SprykerPipeline(other, 'Pipeline', baseProps({ maintenance: maintenance(other) }));
    expect(() => new SprykerMaintenancePipelines(other, 'Maintenance', { pipeline: configured, maintenance: configured.props.maintenance })).toThrow(
      /has one maintenance configuration: leave SprykerMaintenancePipelines.maintenance out/,
    );
  });

  test('50 services: every companion action configuration stays far below 1000 characters', () => {
    const { template } = environment(() => ({ services: demoServices(50) }));
    const lengths = Object.values(pipelines(template)).flatMap((p) => p.Stages.flatMap((s: Cfn) => s.Actions.map((a: Cfn) => JSON.stringify(a.Configuration ?? {}).length)));
    expect(Math.max(...lengths)).toBeLessThan(1000);
  });
});
