import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type { Construct } from 'constructs';
import {
  HookStage,
  SprykerPipeline,
  type HookStageProps,
  type SccosStageName,
  type SprykerStage,
  type SprykerStageProps,
} from '../../lib';
import { actionOf, baseProps, stagesOf, testApp } from './helpers';

/** A project's Run_install that asks a person to confirm the migration window first. */
class ConfirmedInstallStage extends HookStage {
  constructor(scope: Construct, id: string, props: HookStageProps) {
    super(scope, id, props);
    this.actions.unshift(new actions.ManualApprovalAction({ actionName: 'Confirm_migration_window', runOrder: 1 }));
  }
}

class ProjectPipeline extends SprykerPipeline {
  protected createStage(name: SccosStageName, props: SprykerStageProps): SprykerStage {
    if (name === 'Run_install') return new ConfirmedInstallStage(this, 'RunInstall', { ...props, hook: 'install' });
    return super.createStage(name, props);
  }
}

describe('extending the pipeline', () => {
  const stack = new Stack(testApp(), 'Ext');
  const pipeline = new ProjectPipeline(stack, 'Pipeline', baseProps({ hooks: { install: 'vendor/bin/install -r EU/project --no-ansi -vvv' } }));
  pipeline.addStageAfter('Deploy_Spryker_services', {
    stageName: 'Smoke_test',
    actions: [new actions.ManualApprovalAction({ actionName: 'Storefront_ok' })],
  });
  pipeline.addStageBefore('Run_install', {
    stageName: 'Announce_downtime',
    actions: [new actions.ManualApprovalAction({ actionName: 'Announced' })],
  });
  pipeline.stage('Post_Deployment_Configuration').addAction(new actions.ManualApprovalAction({ actionName: 'Sign_off', runOrder: 2 }));
  const template = Template.fromStack(stack);

  test('a subclassed stage replaces the SCCOS one under the same name, keeping its hook action', () => {
    const stage = stagesOf(template).find((s) => s.Name === 'Run_install')!;
    expect(stage.Actions.map((a: { Name: string }) => a.Name)).toEqual(['Confirm_migration_window', 'Run_install']);
    expect(pipeline.sprykerStages.find((s) => s.stageName === 'Run_install')).toBeInstanceOf(ConfirmedInstallStage);
  });

  test('own stages go before or after any named stage; own actions join a stage', () => {
    const names = stagesOf(template).map((s) => s.Name);
    expect(names.slice(names.indexOf('Deploy_Spryker_services'), names.indexOf('Deploy_Spryker_services') + 3)).toEqual([
      'Deploy_Spryker_services',
      'Smoke_test',
      'UpdateDeployedVersion',
    ]);
    expect(names[names.indexOf('Run_install') - 1]).toBe('Announce_downtime');
    expect(actionOf(template, 'Post_Deployment_Configuration', 'Sign_off').RunOrder).toBe(2);
  });

  test('a replaced hook command reaches the handlers through the model', () => {
    const model = Object.values(template.findResources('AWS::SSM::Parameter'))[0].Properties.Value;
    expect(JSON.parse(model).hooks.install).toBe('vendor/bin/install -r EU/project --no-ansi -vvv');
  });

  test('an unknown stage name is a clear error', () => {
    expect(() => pipeline.stage('Deploy_Everything')).toThrow(/no stage 'Deploy_Everything' \(stages: Source, Please_approve, /);
  });
});
