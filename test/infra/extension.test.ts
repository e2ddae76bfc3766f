import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type { Construct } from 'constructs';
import {
  HookStage,
  SprykerDestructivePipeline,
  SprykerPipeline,
  type HookStageProps,
  type SprykerPipelineProps,
} from '../../lib';
import { maintenance } from '../companion/helpers';
import { baseProps, testApp } from './helpers';

/** A project's Run_install that asks a person to confirm the migration window first. */
class ConfirmedInstallStage extends HookStage {
  constructor(scope: Construct, id: string, props: HookStageProps) {
    super(scope, id, props);
    this.actions.unshift(new actions.ManualApprovalAction({ actionName: 'Confirm_migration_window', runOrder: 1 }));
  }
}

/** The CloudFormation of one pipeline (by name) of a stack. */
function pipelineNamed(template: Template, name: string): Record<string, any> {
  const found = Object.values(template.findResources('AWS::CodePipeline::Pipeline')).find((p: any) => p.Properties.Name === name);
  if (!found) throw new Error(`no pipeline ${name}`);
  return found.Properties;
}

function stageOf(pipeline: Record<string, any>, stageName: string): Record<string, any> {
  return pipeline.Stages.find((s: any) => s.Name === stageName);
}

describe('extending the pipeline', () => {
  const stack = new Stack(testApp(), 'Ext');
  const props: SprykerPipelineProps = baseProps({
    hooks: { install: 'vendor/bin/install -r EU/project --no-ansi -vvv' },
    maintenance: { ...maintenance(stack), duringInstall: true },
    stageOverrides: { Run_install: (scope, id, computed) => new ConfirmedInstallStage(scope, id, computed) },
  });
  const pipeline = new SprykerPipeline(stack, 'Pipeline', props);
  const destructive = new SprykerDestructivePipeline(stack, 'Destructive', { pipeline });
  pipeline.addStageAfter('Deploy_Spryker_services', {
    stageName: 'Smoke_test',
    actions: [new actions.ManualApprovalAction({ actionName: 'Storefront_ok' })],
  });
  // A project's own stage on every pipeline of the environment: one call per pipeline, each its own action.
  for (const p of [pipeline, destructive]) {
    p.addStageBefore('Run_install', { stageName: 'Announce_downtime', actions: [new actions.ManualApprovalAction({ actionName: 'Announced' })] });
  }
  pipeline.stage('Post_Deployment_Configuration').addAction(new actions.ManualApprovalAction({ actionName: 'Sign_off', runOrder: 2 }));
  const template = Template.fromStack(stack);
  const normalCfn = pipelineNamed(template, 'staging-deploy');
  const destructiveCfn = pipelineNamed(template, 'staging-destructive');
  const hookParams = (stage: Record<string, any>) => JSON.parse(stage.Actions.find((a: any) => a.Name === 'Run_install').Configuration.UserParameters);

  test("a stage override gets the stage's computed props: the hook and maintenance during install stay", () => {
    const stage = stageOf(normalCfn, 'Run_install');
    expect(stage.Actions.map((a: { Name: string }) => a.Name)).toEqual(['Confirm_migration_window', 'Run_install']);
    expect(hookParams(stage)).toMatchObject({ hook: 'install', maintenance: '/staging/pipeline/maintenance' });
    expect(pipeline.sprykerStages.find((s) => s.stageName === 'Run_install')).toBeInstanceOf(ConfirmedInstallStage);
  });

  test('the destructive companion applies the same override with its own computed props (destructiveInstall)', () => {
    const stage = stageOf(destructiveCfn, 'Run_install');
    expect(stage.Actions.map((a: { Name: string }) => a.Name)).toEqual(['Confirm_migration_window', 'Run_install']);
    expect(hookParams(stage)).toMatchObject({ hook: 'destructiveInstall', maintenance: '/staging/pipeline/maintenance' });
    expect(destructive.sprykerStages.find((s) => s.stageName === 'Run_install')).toBeInstanceOf(ConfirmedInstallStage);
  });

  test('own stages go before or after any named stage, on the pipeline they are added to; own actions join a stage', () => {
    const names = normalCfn.Stages.map((s: { Name: string }) => s.Name);
    expect(names.slice(names.indexOf('Deploy_Spryker_services'), names.indexOf('Deploy_Spryker_services') + 3)).toEqual([
      'Deploy_Spryker_services',
      'Smoke_test',
      'UpdateDeployedVersion',
    ]);
    expect(names[names.indexOf('Run_install') - 1]).toBe('Announce_downtime');
    const destructiveNames = destructiveCfn.Stages.map((s: { Name: string }) => s.Name);
    expect(destructiveNames[destructiveNames.indexOf('Run_install') - 1]).toBe('Announce_downtime');
    expect(destructiveNames).not.toContain('Smoke_test');
    expect(stageOf(normalCfn, 'Post_Deployment_Configuration').Actions.find((a: any) => a.Name === 'Sign_off').RunOrder).toBe(2);
  });

  test('a replaced hook command reaches the handlers through the model', () => {
    const model = Object.values(template.findResources('AWS::SSM::Parameter')).find((p: any) => /"hooks"/.test(p.Properties.Value))!.Properties.Value;
    expect(JSON.parse(model).hooks.install).toBe('vendor/bin/install -r EU/project --no-ansi -vvv');
  });

  test('an unknown stage name is a clear error', () => {
    expect(() => pipeline.stage('Deploy_Everything')).toThrow(/no stage 'Deploy_Everything' \(stages: Source, Please_approve, /);
  });
});

describe('stage overrides are checked; no overridable code runs in the constructor', () => {
  test('an override for a name that is not a SCCOS stage names the prop and the stages', () => {
    const stack = new Stack(testApp(), 'Bad');
    const stageOverrides = { Run_Install: () => undefined, Run_install: 'HookStage' } as unknown as SprykerPipelineProps['stageOverrides'];
    expect(() => new SprykerPipeline(stack, 'Pipeline', baseProps({ stageOverrides }))).toThrow(
      /stageOverrides\.Run_Install: is not a SCCOS stage: use one of Source, .*Run_install.*\n.*stageOverrides\.Run_install: must be a function/,
    );
  });

  test('createStage cannot be overridden (it runs before a subclass exists)', () => {
    // @ts-expect-error createStage is private: props.stageOverrides replaces a stage, from its computed props
    class Overriding extends SprykerPipeline {
      protected createStage(): never {
        throw new Error('never called');
      }
    }
    expect(Overriding.prototype).toBeInstanceOf(SprykerPipeline);
  });
});
