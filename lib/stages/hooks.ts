import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { Construct } from 'constructs';
import type { RunHookParams } from '../contracts/params';
import type { HookName, HookTaskDefinition } from '../contracts';
import { SCHEDULER_AFTER, SCHEDULER_SETUP, SCHEDULER_SUSPEND } from '../config/hook-commands';
import { DEFAULT_HOOK_TIMEOUT_MINUTES, type SprykerHookTimeouts } from '../config/types';
import { ssmPaths, type SprykerDeployment } from '../deployment';
import { maintenanceConfigPath, type SprykerMaintenance } from '../maintenance';
import { POLLING_TIMEOUT } from '../step-handler';
import { SprykerStage, type SprykerStageProps } from './stage';

export { SCHEDULER_SETUP, SCHEDULER_SUSPEND };

interface HookSpec {
  readonly stageName: string;
  readonly taskDefinition: HookTaskDefinition;
  readonly then?: string;
}

/** The three hook stages: SCCOS names, the revision each runs on, and the scheduler command after it. */
export const HOOK_STAGES: Record<HookName, HookSpec> = {
  beforeDeploy: { stageName: 'Run_pre-deploy_hook', taskDefinition: 'live', then: SCHEDULER_AFTER.beforeDeploy },
  install: { stageName: 'Run_install', taskDefinition: 'release', then: SCHEDULER_AFTER.install },
  destructiveInstall: { stageName: 'Run_install', taskDefinition: 'release', then: SCHEDULER_AFTER.destructiveInstall },
  afterDeploy: { stageName: 'Run_post-deploy_hook', taskDefinition: 'release', then: SCHEDULER_AFTER.afterDeploy },
};

export interface HookStageProps extends SprykerStageProps {
  readonly hook: HookName;
  /** @default - DEFAULT_HOOK_TIMEOUT_MINUTES of the hook */
  readonly timeouts?: SprykerHookTimeouts;
  /** Maintenance mode on while the hook runs, lifted when it ends (Run_install's `duringInstall`). @default - none */
  readonly maintenance?: SprykerMaintenance;
  /** `duringInstall: 'auto'`: the schema risk variable deciding whether maintenance goes on (RunHookParams.schemaRisk). @default - always */
  readonly schemaRisk?: string;
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
    props.maintenance?.grantToggle(handler);
    // Lifts the maintenance this stage turned on also when no invocation of ours sees the end.
    props.maintenance?.liftAfter(this.stageName);
    const limit = props.timeouts?.[props.hook];
    this.actions = [
      handler.action<RunHookParams>({
        actionName: this.stageName,
        userParameters: {
          model: ssmPaths(props.deployment.environment).model,
          hook: props.hook,
          taskDefinition: spec.taskDefinition,
          then: spec.then,
          timeoutMinutes: limit && !limit.isUnresolved() ? Math.ceil(limit.toSeconds() / 60) : DEFAULT_HOOK_TIMEOUT_MINUTES[props.hook],
          maintenance: props.maintenance ? maintenanceConfigPath(props.deployment.environment) : undefined,
          schemaRisk: props.maintenance ? props.schemaRisk : undefined,
        },
        inputs: spec.taskDefinition === 'release' ? [props.artifacts.release] : [],
      }),
    ];
  }
}

function hookHandler(deployment: SprykerDeployment) {
  return deployment.sharedHandler(
    'RunHook',
    { handler: 'run-hook', description: `${deployment.environment}: runs Spryker deploy hooks as one-off ECS tasks`, timeout: POLLING_TIMEOUT },
    (h) => {
      deployment.grantReadModel(h);
      deployment.grantRunHookTask(h);
    },
  );
}
