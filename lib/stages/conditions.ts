/**
 * CodePipeline V2 stage conditions of the safety windows (docs/safety-windows.md): the bake after
 * Deploy_Spryker_services and the deployment window before the first stage that changes the shop.
 * aws-cdk-lib's L2 renders them (StageProps.onSuccess / beforeEntry with codepipeline.Rule).
 */
import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { SprykerBakeProps, SprykerDeploymentWindowProps } from '../config/types';

/** The stage whose success the bake watches. */
export const BAKE_STAGE = 'Deploy_Spryker_services';
/**
 * The stage the deployment window guards: the first that changes the shop. Build_and_Prepare only
 * pushes images that do not exist yet and records the build; the broker's vhosts, users and
 * permissions are the first thing of the running shop a deployment changes.
 */
export const WINDOW_STAGE = 'Configure_RabbitMQ_Vhosts_and_Permissions';
export const DEFAULT_BAKE_TIME = Duration.minutes(10);

const alarmName = (alarm: SprykerBakeProps['alarms'][number]) => (typeof alarm === 'string' ? alarm : alarm.alarmName);

/**
 * One CloudWatchAlarm rule per alarm, WaitTime the bake time, result ROLLBACK: an alarm in ALARM
 * within the bake time rolls the stage back. The rule's name carries the alarm's, so that the
 * failed condition in the console and in GetPipelineState/ListRuleExecutions names it.
 */
export function bakeConditions(bake: SprykerBakeProps): codepipeline.Conditions {
  const minutes = (bake.bakeTime ?? DEFAULT_BAKE_TIME).toMinutes();
  return {
    conditions: [
      {
        result: codepipeline.Result.ROLLBACK,
        rules: bake.alarms.map((alarm, i) => {
          const name = alarmName(alarm);
          // An alarm created in the app has a token for a name: its construct id is the readable part then.
          const readable = (Token.isUnresolved(name) && typeof alarm !== 'string' ? alarm.node.id : name).replace(/[^A-Za-z0-9.@_-]/g, '_');
          return new codepipeline.Rule({
            name: `Bake_${i + 1}_${readable}`.slice(0, 100),
            provider: 'CloudWatchAlarm',
            version: '1',
            configuration: { AlarmName: name, WaitTime: String(minutes) },
          });
        }),
      },
    ],
  };
}

/** The pipeline's role reads the watched alarms: CodePipeline evaluates the rules with it. */
export function grantBakeAlarms(scope: Construct, role: iam.IRole, bake: SprykerBakeProps): void {
  const stack = Stack.of(scope);
  const arns = bake.alarms.map((alarm) =>
    typeof alarm === 'string' ? stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: alarm, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) : alarm.alarmArn,
  );
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: arns }));
}

/**
 * The DeploymentWindow rule as an entry condition. Outside the window the rule keeps the
 * execution at the stage's entry until the window opens; `FAIL` (one of the two results an entry
 * condition takes, FAIL or SKIP) engages only if the rule itself fails.
 */
export function windowConditions(window: SprykerDeploymentWindowProps): codepipeline.Conditions {
  return {
    conditions: [
      {
        result: codepipeline.Result.FAIL,
        rules: [
          new codepipeline.Rule({
            name: 'Deployment_window',
            provider: 'DeploymentWindow',
            version: '1',
            configuration: { Cron: window.cron.trim().replace(/\s+/g, ' '), TimeZone: window.timeZone ?? 'UTC' },
          }),
        ],
      },
    ],
  };
}
