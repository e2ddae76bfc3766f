import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { Construct } from 'constructs';
import type { HookName, RunHookParams } from '../../lambda/run-hook';
import { ssmPaths, type SprykerDeployment } from '../deployment';
import { SprykerStage, type SprykerStageProps } from './stage';

/** SCCOS's scheduler commands around the deployment. */
export const SCHEDULER_SUSPEND = 'vendor/bin/console scheduler:suspend -vvv --no-ansi';
export const SCHEDULER_SETUP = 'vendor/bin/console scheduler:setup -vvv --no-ansi';

interface HookSpec {
  readonly stageName: string;
  readonly taskDefinition: RunHookParams['taskDefinition'];
  readonly then?: string;
}

/** The three hook stages: SCCOS names, the revision each runs on, and the scheduler command after it. */
export const HOOK_STAGES: Record<HookName, HookSpec> = {
  beforeDeploy: { stageName: 'Run_pre-deploy_hook', taskDefinition: 'live', then: SCHEDULER_SUSPEND },
  install: { stageName: 'Run_install', taskDefinition: 'release', then: SCHEDULER_SETUP },
  destructiveInstall: { stageName: 'Run_install', taskDefinition: 'release', then: SCHEDULER_SETUP },
  afterDeploy: { stageName: 'Run_post-deploy_hook', taskDefinition: 'release' },
};

export interface HookStageProps extends SprykerStageProps {
  readonly hook: HookName;
}

/**
 * Run_pre-deploy_hook, Run_install and Run_post-deploy_hook: a one-off ECS task of the hook
 * service's task definition runs the hook command (and the scheduler command after it).
 */
export class HookStage extends SprykerStage {
  public readonly stageName: string;
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: HookStageProps) {
    super(scope, id);
    const spec = HOOK_STAGES[props.hook];
    this.stageName = spec.stageName;
    const handler = hookHandler(props.deployment);
    this.actions = [
      handler.action<RunHookParams>({
        actionName: this.stageName,
        userParameters: {
          model: ssmPaths(props.deployment.environment).model,
          hook: props.hook,
          taskDefinition: spec.taskDefinition,
          then: spec.then,
        },
        inputs: spec.taskDefinition === 'release' ? [props.artifacts.release] : [],
      }),
    ];
  }
}

function hookHandler(deployment: SprykerDeployment) {
  return deployment.sharedHandler(
    'RunHook',
    { handler: 'run-hook', description: `${deployment.environment}: runs Spryker deploy hooks as one-off ECS tasks` },
    (h) => {
      deployment.grantReadModel(h);
      deployment.grantRunHookTask(h);
    },
  );
}
