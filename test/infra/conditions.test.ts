/** The safety windows in the template: sync catch-up, the bake's onSuccess rollback, the deployment window; and their validation. */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SprykerConfigError, SprykerPipeline, type SprykerPipelineProps } from '../../lib';
import { DEFAULT_IGNORED_QUEUES, DEFAULT_SYNC_QUEUES } from '../../lib/contracts/sync-catch-up';
import { cronProblems, timeZoneProblem } from '../../lib/config/conditions';
import { arnText, baseProps, functionOf, stagesOf, statementsOfFunction, synthPipeline, testApp, userParametersOf } from './helpers';

function withBroker(overrides: Partial<SprykerPipelineProps> = {}) {
  return (stack: Stack): Partial<SprykerPipelineProps> => ({
    broker: {
      endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com/',
      adminSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Admin', 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:broker/admin-AbCdEf'),
      vhosts: ['de_queue', 'at_queue'],
    },
    ...overrides,
  });
}

function synthWith(make: (stack: Stack) => Partial<SprykerPipelineProps>) {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const pipeline = new SprykerPipeline(stack, 'Pipeline', baseProps(make(stack)));
  return { stack, pipeline, template: Template.fromStack(stack) };
}

const stageNames = (template: Template) => stagesOf(template).map((s) => s.Name);

describe('sync catch-up', () => {
  test('with a broker and no syncCatchUp prop: measured by an action beside the rollout, never a stage of its own', () => {
    const { template } = synthWith(withBroker());
    expect(stageNames(template)).not.toContain('Sync_catch_up');
    const deploy = stagesOf(template).find((s) => s.Name === 'Deploy_Spryker_services')!;
    expect(deploy.Actions.map((a: any) => [a.Name, a.RunOrder])).toEqual([
      ['Deploy_Spryker_services', 1],
      ['Measure_sync_catch_up', 1],
    ]);
    expect(userParametersOf(template, 'Deploy_Spryker_services', 'Measure_sync_catch_up')).toEqual({
      config: '/staging/pipeline/rabbitmq',
      endpoint: 'https://b-1.mq.eu-central-1.amazonaws.com',
      queues: [...DEFAULT_SYNC_QUEUES],
      ignore: [...DEFAULT_IGNORED_QUEUES],
      settleSeconds: 30,
      timeoutMinutes: 30,
      mode: 'measure',
      onTimeout: 'fail',
    });
  });

  test('await: a Sync_catch_up stage right before Deploy_Spryker_services, with the props', () => {
    const { template } = synthWith(withBroker({ syncCatchUp: { await: true, queues: ['publish.*'], settle: Duration.seconds(10), timeout: Duration.minutes(45), onTimeout: 'warn' } }));
    const names = stageNames(template);
    expect(names.slice(names.indexOf('Run_install'), names.indexOf('Run_install') + 3)).toEqual(['Run_install', 'Sync_catch_up', 'Deploy_Spryker_services']);
    expect(userParametersOf(template, 'Sync_catch_up')).toMatchObject({ queues: ['publish.*'], settleSeconds: 10, timeoutMinutes: 45, mode: 'await', onTimeout: 'warn' });
    expect(stagesOf(template).find((s) => s.Name === 'Deploy_Spryker_services')!.Actions).toHaveLength(1);
  });

  test("the handler reads the broker config parameter and the admin secret only", () => {
    const { template } = synthWith(withBroker({ syncCatchUp: { await: true } }));
    const statements = statementsOfFunction(template, functionOf(template, 'Sync_catch_up'));
    const reads = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('ssm:') || a.startsWith('secretsmanager:')));
    expect(reads.map((s) => arnText(s.Resource)).sort()).toEqual([
      'arn:aws:secretsmanager:eu-central-1:111122223333:secret:broker/admin-AbCdEf',
      'arn:aws:ssm:eu-central-1:111122223333:parameter/staging/pipeline/rabbitmq',
    ]);
  });

  test('syncCatchUp: false, or no broker: nothing is added', () => {
    for (const make of [withBroker({ syncCatchUp: false }), () => ({})]) {
      const { template } = synthWith(make);
      expect(JSON.stringify(stagesOf(template))).not.toMatch(/sync_catch_up/i);
    }
  });
});

describe('bake', () => {
  test('an onSuccess condition on Deploy_Spryker_services: a CloudWatchAlarm rule per alarm, WaitTime the bake time, result ROLLBACK', () => {
    const { template } = synthWith((stack) => ({
      bake: {
        alarms: ['shop-5xx', new cloudwatch.Alarm(stack, 'Latency', { metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Latency' }), threshold: 2, evaluationPeriods: 1, alarmName: 'shop-latency' })],
        bakeTime: Duration.minutes(15),
      },
    }));
    const deploy = stagesOf(template).find((s) => s.Name === 'Deploy_Spryker_services')!;
    expect(deploy.OnSuccess).toEqual({
      Conditions: [
        {
          Result: 'ROLLBACK',
          Rules: [
            { Name: 'Bake_1_shop-5xx', RuleTypeId: { Category: 'Rule', Owner: 'AWS', Provider: 'CloudWatchAlarm', Version: '1' }, Configuration: { AlarmName: 'shop-5xx', WaitTime: '15' } },
            { Name: 'Bake_2_Latency', RuleTypeId: { Category: 'Rule', Owner: 'AWS', Provider: 'CloudWatchAlarm', Version: '1' }, Configuration: { AlarmName: expect.anything(), WaitTime: '15' } },
          ],
        },
      ],
    });
    // The failure still rolls back as before.
    expect(deploy.OnFailure).toEqual({ Result: 'ROLLBACK' });
    // No other stage bakes.
    expect(stagesOf(template).filter((s) => s.OnSuccess).map((s) => s.Name)).toEqual(['Deploy_Spryker_services']);
  });

  test("the pipeline's role may describe exactly the watched alarms", () => {
    const { template } = synthWith(() => ({ bake: { alarms: ['shop-5xx'] } }));
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s: any) => [s.Action].flat().includes('cloudwatch:DescribeAlarms'));
    expect(statements).toHaveLength(1);
    expect(arnText(statements[0].Resource)).toBe('arn:aws:cloudwatch:eu-central-1:111122223333:alarm:shop-5xx');
    expect(stagesOf(template).find((s) => s.Name === 'Deploy_Spryker_services')!.OnSuccess.Conditions[0].Rules[0].Configuration.WaitTime).toBe('10');
  });
});

describe('deployment window', () => {
  test('a DeploymentWindow entry condition on Configure_RabbitMQ_Vhosts_and_Permissions only', () => {
    const { template } = synthPipeline({ deploymentWindow: { cron: '*  * 7-17 ? * MON-THU *', timeZone: 'Europe/Berlin' } });
    const guarded = stagesOf(template).filter((s) => s.BeforeEntry);
    expect(guarded.map((s) => s.Name)).toEqual(['Configure_RabbitMQ_Vhosts_and_Permissions']);
    expect(guarded[0].BeforeEntry).toEqual({
      Conditions: [
        {
          Result: 'FAIL',
          Rules: [
            { Name: 'Deployment_window', RuleTypeId: { Category: 'Rule', Owner: 'AWS', Provider: 'DeploymentWindow', Version: '1' }, Configuration: { Cron: '* * 7-17 ? * MON-THU *', TimeZone: 'Europe/Berlin' } },
          ],
        },
      ],
    });
  });

  test('without a time zone: UTC', () => {
    const { template } = synthPipeline({ deploymentWindow: { cron: '0 * 8-16 ? * MON-FRI' } });
    expect(stagesOf(template).find((s) => s.BeforeEntry)!.BeforeEntry.Conditions[0].Rules[0].Configuration.TimeZone).toBe('UTC');
  });
});

describe('validation', () => {
  function problemsOf(make: (stack: Stack) => Partial<SprykerPipelineProps>): string[] {
    const stack = new Stack(testApp(), 'Bad');
    try {
      new SprykerPipeline(stack, 'Pipeline', baseProps(make(stack)));
    } catch (err) {
      expect(err).toBeInstanceOf(SprykerConfigError);
      return (err as SprykerConfigError).problems.map((p) => `${p.prop}: ${p.message}`);
    }
    return [];
  }

  test('every problem of the three props at once, each naming its prop', () => {
    const problems = problemsOf(() => ({
      syncCatchUp: { queues: ['publish', 'bad queue'], settle: Duration.millis(1500), timeout: Duration.hours(24), onTimeout: 'warn' },
      bake: { alarms: ['a', 'b', 'c', 'd', 'e', 'a'], bakeTime: Duration.hours(4) },
      deploymentWindow: { cron: '0 0 25 * * MON *', timeZone: 'Mars/Olympus' },
    }));
    expect(problems).toEqual([
      expect.stringMatching(/^syncCatchUp: needs broker/),
      "syncCatchUp.queues[1]: 'bad queue' is not a queue-name pattern: use letters, digits and . _ - : with * as a wildcard",
      'syncCatchUp.settle: is 1 second 500 millis: use whole seconds from 0 to 10 minutes',
      'syncCatchUp.timeout: is 1 day: use whole minutes from 1 minute to 23 hours (CodePipeline gives an action 24 hours in all)',
      'syncCatchUp.onTimeout: applies only with await: true; measuring alone never fails the rollout it runs beside',
      'bake.alarms: has 6 alarms: a stage condition takes 1 to 5 rules (one per alarm); combine more with a composite alarm',
      "bake.alarms[5]: 'a' is listed twice",
      expect.stringMatching(/^bake\.bakeTime: is 4 hours: use whole minutes from 1 minute to 3 hours/),
      "deploymentWindow.cron: hours '25': 25 outside 0-23",
      "deploymentWindow.cron: day-of-month '*' and day-of-week 'MON' are both set: use '?' in one of them (e.g. '? * MON-FRI')",
      "deploymentWindow.timeZone: 'Mars/Olympus' is not a time zone this Node.js knows (IANA Region/City, e.g. Europe/Berlin)",
    ]);
  });

  test('valid props pass', () => {
    expect(
      problemsOf(withBroker({ syncCatchUp: { await: true, onTimeout: 'warn' }, bake: { alarms: ['x'] }, deploymentWindow: { cron: '0 0 9-17 ? * MON-FRI *', timeZone: 'PST' } })),
    ).toEqual([]);
  });

  test.each([
    ['0 0 9-17 ? * MON-FRI *', []],
    ['* * 8-16 ? * 2-5', []],
    ['* 0/15 * L * ?', []],
    ['* * 9 ? * 6#3 *', []],
    ['* * * *', ["'* * * *' has 4 fields: CodePipeline's cron has 6 and an optional year (seconds minutes hours day-of-month month day-of-week [year]), e.g. '* * 8-16 ? * MON-THU *'"]],
    ['5 * * ? * *', ["seconds '5' is not allowed: the seconds field is '*' (or 0)"]],
    ['* 60 * ? * * 1969', ["minutes '60': 60 outside 0-59", "year '1969': 1969 outside 1970-2199"]],
    ['* * * ? FOO *', ["month 'FOO' is not allowed"]],
  ])('cron %s', (cron, expected) => {
    expect(cronProblems(cron)).toEqual(expected);
  });

  test.each([
    ['UTC', undefined],
    ['UTC+05:30', undefined],
    ['CET', undefined],
    ['America/New_York', undefined],
    ['UTC+25:00', "'UTC+25:00' is not a time zone: use Region/City (Europe/Berlin), UTC or UTC+01:00, or an abbreviation such as CET"],
    ['berlin', "'berlin' is not a time zone: use Region/City (Europe/Berlin), UTC or UTC+01:00, or an abbreviation such as CET"],
  ])('time zone %s', (zone, expected) => {
    expect(timeZoneProblem(zone)).toBe(expected);
  });
});
