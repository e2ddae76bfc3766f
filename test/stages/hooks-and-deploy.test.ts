/** Hook time limits, the polling steps' Lambda timeouts, StopTask's scope and the out-of-band maintenance lift, in the template. */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SprykerPipeline, StepHandler } from '../../lib';
import { maintenance } from '../companion/helpers';
import { baseProps, functionOf, statementsOfFunction, synthPipeline, testApp, userParametersOf } from '../infra/helpers';

describe('hook time limits', () => {
  test('SCCOS-like defaults: 30 minutes before and after the deploy, 60 for the install', () => {
    const { template } = synthPipeline();
    expect(userParametersOf(template, 'Run_pre-deploy_hook').timeoutMinutes).toBe(30);
    expect(userParametersOf(template, 'Run_install').timeoutMinutes).toBe(60);
    expect(userParametersOf(template, 'Run_post-deploy_hook').timeoutMinutes).toBe(30);
  });

  test('hookTimeouts sets each; the UserParameters stay small', () => {
    const { template } = synthPipeline({ hookTimeouts: { beforeDeploy: Duration.minutes(5), install: Duration.hours(3), afterDeploy: Duration.minutes(90) } });
    expect(userParametersOf(template, 'Run_pre-deploy_hook').timeoutMinutes).toBe(5);
    expect(userParametersOf(template, 'Run_install').timeoutMinutes).toBe(180);
    expect(userParametersOf(template, 'Run_post-deploy_hook').timeoutMinutes).toBe(90);
    expect(JSON.stringify(userParametersOf(template, 'Run_install')).length).toBeLessThan(300);
  });

  test('the destructive pipeline uses hookTimeouts.destructiveInstall', () => {
    const { template } = synthPipeline({ pipelineType: 'destructive', hookTimeouts: { install: Duration.minutes(10), destructiveInstall: Duration.minutes(120) } });
    expect(userParametersOf(template, 'Run_install')).toMatchObject({ hook: 'destructiveInstall', timeoutMinutes: 120 });
  });

  test('a limit that is not whole minutes from 1 minute to 23 hours is refused, naming the prop', () => {
    const limits = { beforeDeploy: Duration.seconds(30), install: Duration.hours(24), afterDeploy: Duration.seconds(90), destructiveInstall: Duration.hours(23) };
    expect(() => new SprykerPipeline(new Stack(testApp(), 'Bad'), 'Pipeline', baseProps({ hookTimeouts: limits }))).toThrow(
      /hookTimeouts\.beforeDeploy: is 30 seconds: use whole minutes from 1 minute to 23 hours[\s\S]*hookTimeouts\.install: is 1 day[\s\S]*hookTimeouts\.afterDeploy: is 1 minute 30 seconds/,
    );
    expect(() => new SprykerPipeline(new Stack(testApp(), 'Good'), 'Pipeline', baseProps({ hookTimeouts: { install: Duration.hours(23), beforeDeploy: Duration.minutes(1) } }))).not.toThrow();
  });
});

describe('the polling steps', () => {
  const { template } = synthPipeline();

  test('hooks and deploys wait in 14-minute invocations (below CodePipeline\'s 20 minutes without an answer)', () => {
    for (const stage of ['Run_install', 'Deploy_Spryker_services']) {
      expect(template.toJSON().Resources[functionOf(template, stage)].Properties.Timeout).toBe(840);
    }
  });

  test('a step timeout too short for the start margin and the reserve is refused', () => {
    const stack = new Stack(testApp(), 'Short');
    expect(() => new StepHandler(stack, 'Step', { handler: 'deploy', timeout: Duration.seconds(20) })).toThrow(
      /^StepHandler Short\/Step: timeout 20 seconds is outside 30 seconds-15 minutes: a step needs 10 s to start, 15 s of reserve/,
    );
    expect(() => new StepHandler(stack, 'Long', { handler: 'deploy', timeout: Duration.minutes(16) })).toThrow(/timeout 16 minutes is outside/);
  });

  test('the hook handler may stop tasks of its own cluster only (ecs:cluster condition)', () => {
    const stop = statementsOfFunction(template, functionOf(template, 'Run_install')).find((s) => [s.Action].flat().includes('ecs:StopTask'))!;
    expect(stop.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:eu-central-1:111122223333:task/staging-spryker/*']] });
    expect(stop.Condition).toEqual({ ArnEquals: { 'ecs:cluster': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:eu-central-1:111122223333:cluster/staging-spryker']] } } });
  });
});

describe('the out-of-band lift of maintenance', () => {
  test('duringInstall: an EventBridge rule on Run_install\'s end invokes the maintenance handler with the execution id', () => {
    const build = synthPipelineWith(true);
    const rules = liftRules(build);
    expect(Object.values(rules)).toHaveLength(1);
    const [rule] = Object.values(rules) as { Properties: { EventPattern: unknown; Targets: { Input: string; Arn: unknown; RetryPolicy?: unknown }[] } }[];
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Action Execution State Change', 'CodePipeline Stage Execution State Change'],
      detail: { stage: ['Run_install'], state: ['SUCCEEDED', 'FAILED', 'CANCELED', 'ABANDONED', 'STOPPED'] },
    });
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineDeploymentMaintenanceHandlerFunction/), 'Arn'] });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2 });
    // A lift that still fails after the retries (maintenance still on) is kept, encrypted, for 14 days.
    const dlq = (target as { DeadLetterConfig?: { Arn: { 'Fn::GetAtt': string[] } } }).DeadLetterConfig!.Arn['Fn::GetAtt'][0];
    expect(build.toJSON().Resources[dlq]).toMatchObject({ Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 } });
    expect((target as { InputTransformer?: unknown }).InputTransformer).toEqual({
      InputPathsMap: { 'detail-pipeline': '$.detail.pipeline', 'detail-execution-id': '$.detail.execution-id', 'detail-stage': '$.detail.stage', 'detail-state': '$.detail.state' },
      InputTemplate: '{"liftAfterExecution":{"config":"/staging/pipeline/maintenance","pipeline":<detail-pipeline>,"executionId":<detail-execution-id>,"stage":<detail-stage>,"state":<detail-state>}}',
    });
  });

  test("the maintenance handler may list action executions of the environment's pipelines, and of no other", () => {
    const template = synthPipelineWith(true);
    // The function the lift rule invokes.
    const fnId: string = (Object.values(liftRules(template))[0] as { Properties: { Targets: { Arn: { 'Fn::GetAtt': string[] } }[] } }).Properties.Targets[0].Arn['Fn::GetAtt'][0];
    const names: string[] = template.toJSON().Resources[fnId].Properties.Environment.Variables.STEP_PIPELINES.split(',');
    expect(names).toContain('staging-deploy');
    const listing = statementsOfFunction(template, fnId).filter((s) => [s.Action].flat().includes('codepipeline:ListActionExecutions'));
    expect(listing).toEqual([
      {
        Effect: 'Allow',
        Action: 'codepipeline:ListActionExecutions',
        Resource: names.map((n) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:codepipeline:eu-central-1:111122223333:${n}`]] })),
      },
    ]);
  });

  test('without duringInstall there is no rule', () => {
    expect(Object.keys(liftRules(synthPipelineWith(false)))).toEqual([]);
  });
});

/** The lift's rules: on action and stage state changes (the report rule listens to whole executions). */
const liftRules = (template: Template) =>
  template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.codepipeline'], 'detail-type': Match.arrayWith(['CodePipeline Stage Execution State Change']) } } });

function synthPipelineWith(duringInstall: boolean) {
  const stack = new Stack(testApp(), 'Lift', { env: { account: '111122223333', region: 'eu-central-1' } });
  new SprykerPipeline(stack, 'Pipeline', baseProps({ maintenance: maintenance(stack, { duringInstall }) }));
  return Template.fromStack(stack);
}
