import { Match } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SCCOS_STAGES, SprykerPipeline, StepHandler, STEP_RUNTIME } from '../../lib';
import {
  actionOf,
  actionsOf,
  arnText,
  baseProps,
  functionOf,
  stagesOf,
  statementsOfFunction,
  synthPipeline,
  testApp,
  userParametersOf,
} from './helpers';

describe('SprykerPipeline', () => {
  const { template, stack, pipeline } = synthPipeline();
  /** Logical ids of the step handlers' functions (the stack may hold other functions, e.g. custom resources). */
  const stepFunctions = pipeline.node
    .findAll()
    .filter((c): c is StepHandler => c instanceof StepHandler)
    .map((h) => stack.getLogicalId(h.function.node.defaultChild as CfnElement));

  test('is a V2 pipeline in QUEUED mode with exactly the SCCOS stages in SCCOS order', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2', ExecutionMode: 'QUEUED', Name: 'staging-deploy' });
    // Then the Report stage (issue 16): the run's report, after every SCCOS stage.
    expect(stagesOf(template).map((s) => s.Name)).toEqual([...SCCOS_STAGES, 'Report']);
  });

  test('each Lambda-backed stage invokes the handler of its step', () => {
    const lambdaStages = SCCOS_STAGES.filter((s) => !['Source', 'Please_approve', 'Build_and_Prepare'].includes(s));
    for (const stage of lambdaStages) {
      expect(actionOf(template, stage).ActionTypeId).toEqual({ Category: 'Invoke', Owner: 'AWS', Provider: 'Lambda', Version: '1' });
    }
    expect(actionOf(template, 'Build_and_Prepare').ActionTypeId.Provider).toBe('CodeBuild');
    expect(actionOf(template, 'Source').ActionTypeId.Provider).toBe('S3');
    // The three hooks share one handler; the two deploy stages share another.
    const hook = functionOf(template, 'Run_install');
    expect(functionOf(template, 'Run_pre-deploy_hook')).toBe(hook);
    expect(functionOf(template, 'Run_post-deploy_hook')).toBe(hook);
    expect(functionOf(template, 'Deploy_Scheduler')).toBe(functionOf(template, 'Deploy_Spryker_services'));
    expect(functionOf(template, 'Deploy_Scheduler')).not.toBe(hook);
    const distinct = new Set(lambdaStages.map((s) => functionOf(template, s)));
    expect(distinct.size).toBe(lambdaStages.length - 3);
  });

  test('hook stages pass the hook, the revision it runs on and the scheduler command', () => {
    expect(userParametersOf(template, 'Run_pre-deploy_hook')).toEqual({
      model: '/staging/pipeline/model',
      hook: 'beforeDeploy',
      taskDefinition: 'live',
      then: 'vendor/bin/console scheduler:suspend -vvv --no-ansi',
      timeoutMinutes: 30,
    });
    expect(userParametersOf(template, 'Run_install')).toEqual({
      model: '/staging/pipeline/model',
      hook: 'install',
      taskDefinition: 'release',
      then: 'vendor/bin/console scheduler:setup -vvv --no-ansi',
      timeoutMinutes: 60,
    });
    expect(userParametersOf(template, 'Run_post-deploy_hook')).toEqual({ model: '/staging/pipeline/model', hook: 'afterDeploy', taskDefinition: 'release', timeoutMinutes: 30 });
    expect(userParametersOf(template, 'Deploy_Scheduler')).toEqual({ model: '/staging/pipeline/model', services: 'scheduler' });
    expect(userParametersOf(template, 'Deploy_Spryker_services')).toEqual({ model: '/staging/pipeline/model', services: 'application' });
    expect(userParametersOf(template, 'UpdateDeployedVersion')).toMatchObject({ parameter: '/staging/lastdeployedversion' });
  });

  test('artifacts flow: images into Pre_Deployment_Configuration, release out of it and into the deploy stages', () => {
    expect(actionOf(template, 'Build_and_Prepare').OutputArtifacts).toEqual([{ Name: 'Images' }]);
    expect(actionOf(template, 'Pre_Deployment_Configuration').InputArtifacts).toEqual([{ Name: 'Images' }]);
    expect(actionOf(template, 'Pre_Deployment_Configuration').OutputArtifacts).toEqual([{ Name: 'Release' }]);
    for (const stage of ['Deploy_Scheduler', 'Run_install', 'Deploy_Spryker_services', 'Post_Deployment_Configuration']) {
      expect(actionOf(template, stage).InputArtifacts).toEqual([{ Name: 'Release' }]);
    }
    // UpdateDeployedVersion also reads images.json: it tags the release's images in ECR.
    expect(actionOf(template, 'UpdateDeployedVersion').InputArtifacts).toEqual([{ Name: 'Release' }, { Name: 'Images' }]);
    // Pre-deploy runs on the live revision: it must not wait for a release.
    expect(actionOf(template, 'Run_pre-deploy_hook').InputArtifacts ?? []).toEqual([]);
  });

  test('the deployment model is written to SSM with SCCOS hook defaults', () => {
    const params = template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/staging/pipeline/model' } });
    const model = JSON.parse(Object.values(params)[0].Properties.Value);
    expect(model).toMatchObject({
      v: 1,
      env: 'staging',
      cluster: 'staging-spryker',
      hookService: 'zed',
      hooks: {
        beforeDeploy: 'vendor/bin/install -r pre-deploy -vvv',
        install: 'vendor/bin/install -r EU/production --no-ansi -vvv',
      },
    });
    expect(model.hooks.afterDeploy).toBeUndefined();
    // No destructive pipeline in this environment: the model has no destructive install to run.
    expect(model.hooks.destructiveInstall).toBeUndefined();
    expect(model.services.map((s: { service: string }) => s.service)).toEqual(['staging-zed', 'staging-yves', 'staging-glue', 'staging-backoffice']);
    expect(model.scheduler).toEqual({ app: 'scheduler', service: 'staging-scheduler', containers: { scheduler: 'scheduler' } });
  });

  test('every step handler: newest Node.js runtime, own log group with retention, no Lambda retries, room for continuations', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(stepFunctions).toHaveLength(9);
    for (const id of stepFunctions) {
      const fn = functions[id];
      expect(fn.Properties.Runtime).toBe(STEP_RUNTIME.name);
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Timeout).toBeLessThanOrEqual(15 * 60);
      expect(fn.Properties.Timeout).toBeGreaterThanOrEqual(60);
      expect(fn.Properties.LoggingConfig.LogGroup.Ref).toBeDefined();
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: id },
        MaximumRetryAttempts: 0,
      });
    }
    const groups = template.findResources('AWS::Logs::LogGroup');
    for (const id of stepFunctions) {
      expect(groups[functions[id].Properties.LoggingConfig.LogGroup.Ref].Properties.RetentionInDays).toBe(90);
    }
    // No managed policy: each role has only what its stage needs.
    const roles = template.findResources('AWS::IAM::Role');
    for (const id of stepFunctions) {
      expect(roles[functions[id].Properties.Role['Fn::GetAtt'][0]].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('IAM: deploy may update exactly the services of the cluster, hooks may only run the hook family on the cluster', () => {
    const deploy = statementsOfFunction(template, functionOf(template, 'Deploy_Spryker_services'));
    const update = deploy.find((s) => actionsOf([s]).includes('ecs:UpdateService'))!;
    const arns = update.Resource.map(arnText);
    expect(arns).toEqual(
      ['zed', 'yves', 'glue', 'backoffice', 'scheduler'].map((a) => `arn:aws:ecs:eu-central-1:111122223333:service/staging-spryker/staging-${a}`),
    );
    expect(actionsOf(deploy)).not.toContain('ecs:RunTask');
    expect(actionsOf(deploy)).not.toContain('ecs:RegisterTaskDefinition');

    const hook = statementsOfFunction(template, functionOf(template, 'Run_install'));
    const run = hook.find((s) => actionsOf([s]).includes('ecs:RunTask'))!;
    expect(arnText(run.Resource)).toBe('arn:aws:ecs:eu-central-1:111122223333:task-definition/staging-zed:*');
    expect(arnText(run.Condition.ArnEquals['ecs:cluster'])).toBe('arn:aws:ecs:eu-central-1:111122223333:cluster/staging-spryker');
    expect(actionsOf(hook)).not.toContain('ecs:UpdateService');
    const pass = hook.find((s) => actionsOf([s]).includes('iam:PassRole'))!;
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });

    const post = statementsOfFunction(template, functionOf(template, 'Post_Deployment_Configuration'));
    expect(actionsOf(post)).not.toContain('ecs:UpdateService');
    expect(actionsOf(statementsOfFunction(template, functionOf(template, 'Pre_Deployment_Configuration')))).toContain('ecs:RegisterTaskDefinition');

    // Only actions that have no resource-level permissions are granted on '*'.
    const allowedOnStar = new Set([
      'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:TagResource', 'ecs:ListTasks', 'iam:PassRole',
      'codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult', 'codepipeline:GetJobDetails',
    ]);
    for (const fn of stepFunctions) {
      for (const s of statementsOfFunction(template, fn).filter((st) => st.Resource === '*')) {
        for (const a of actionsOf([s])) expect(allowedOnStar).toContain(a);
      }
    }
  });

  test('a service given as an ecs.BaseService contributes its name and task-definition family', () => {
    const app = testApp();
    const stack = new Stack(app, 'Svc', { env: { account: '111122223333', region: 'eu-central-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const td = new ecs.FargateTaskDefinition(stack, 'ZedTd', { family: 'shop-zed' });
    td.addContainer('zed', { image: ecs.ContainerImage.fromRegistry('spryker/zed') });
    const zed = new ecs.FargateService(stack, 'Zed', { cluster, taskDefinition: td });
    new SprykerPipeline(stack, 'Pipeline', baseProps({ cluster, services: [{ application: 'zed', service: zed }] }));
    const t = Template.fromStack(stack);
    const model = Object.values(t.findResources('AWS::SSM::Parameter'))[0].Properties.Value;
    // The service name and cluster are tokens resolved by CloudFormation.
    expect(JSON.stringify(model)).toContain('Name');
    const hookFn = Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('hooks') } }))[0];
    const run = statementsOfFunction(t, hookFn).find((s) => actionsOf([s]).includes('ecs:RunTask'))!;
    expect(JSON.stringify(run.Resource)).toContain('task-definition/shop-zed:*');
  });

  test('a destructive pipeline runs the destructive install hook in Run_install', () => {
    const { template: t } = synthPipeline({ pipelineType: 'destructive' });
    expect(userParametersOf(t, 'Run_install').hook).toBe('destructiveInstall');
  });
});
