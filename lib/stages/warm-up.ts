import { Duration, Stack } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { WARM_UP_CONFIG_VERSION, type WarmUpConfig, type WarmUpParams } from '../contracts/warm-up';
import { WARM_UP_DEFAULTS, warmUpWorstCase } from '../config/limits';
import type { SprykerWarmUpProps } from '../config/types';
import type { SprykerDeployment } from '../deployment';
import { SprykerStage, type SprykerStageProps } from './stage';

export interface WarmUpStageProps extends SprykerStageProps {
  readonly warmUp: SprykerWarmUpProps;
}

/**
 * Warm_up (after Run_post-deploy_hook): requests the configured pages, so that caches are warm
 * before customers come, and fails (or warns) naming each page that answers non-2xx or slower
 * than the threshold.
 */
export class WarmUpStage extends SprykerStage {
  public readonly stageName = 'Warm_up';
  public readonly actions: codepipeline.IAction[];

  constructor(scope: Construct, id: string, props: WarmUpStageProps) {
    super(scope, id);
    const { deployment } = props;
    const handler = warmUpHandler(deployment, props.warmUp);
    this.actions = [
      handler.action<WarmUpParams>({ actionName: 'Warm_up_and_smoke_check', userParameters: { config: warmUpConfigPath(deployment.environment) } }),
    ];
  }
}

const warmUpConfigPath = (env: string) => `/${env}/pipeline/warm-up`;

/** One handler and one configuration per environment: a destructive pipeline of the same environment shares them. */
function warmUpHandler(deployment: SprykerDeployment, props: SprykerWarmUpProps) {
  const env = deployment.environment;
  return deployment.sharedHandler(
    'WarmUp',
    {
      handler: 'warm-up',
      description: `${env}: requests the shop's pages after a deployment and checks status and time to first byte`,
      // The worst case and the time to report; validation keeps it within Lambda's 15 minutes.
      timeout: Duration.seconds(Math.min(15 * 60, warmUpWorstCase(props).toSeconds() + 30)),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
    },
    (handler) => {
      const config: WarmUpConfig = {
        v: WARM_UP_CONFIG_VERSION,
        urls: props.urls,
        concurrency: props.concurrency ?? WARM_UP_DEFAULTS.concurrency,
        timeoutMs: (props.timeout ?? WARM_UP_DEFAULTS.timeout).toMilliseconds(),
        ttfbMs: (props.ttfbThreshold ?? WARM_UP_DEFAULTS.ttfbThreshold).toMilliseconds(),
        onProblem: props.onProblem ?? 'fail',
      };
      const value = Stack.of(handler).toJsonString(config);
      const parameter = new ssm.StringParameter(handler, 'Config', {
        parameterName: warmUpConfigPath(env),
        description: `Warm-up pages of ${env} and their thresholds (written by the stack)`,
        stringValue: value,
        tier: value.length <= 4096 ? ssm.ParameterTier.STANDARD : ssm.ParameterTier.ADVANCED,
      });
      parameter.grantRead(handler.role);
    },
  );
}
