import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SprykerPipeline, type SprykerPipelineProps } from '../../lib';
import { demoServices } from '../../bin/demo';

/** Minimal valid props: the demo shop's services on a cluster imported by name. */
export function baseProps(overrides: Partial<SprykerPipelineProps> = {}): SprykerPipelineProps {
  return {
    environment: 'staging',
    cluster: 'staging-spryker',
    services: demoServices(),
    scheduler: { application: 'scheduler' },
    ...overrides,
  };
}

/** An app for template assertions (the step handlers are pre-built bundles: nothing to bundle at synth). */
export function testApp(): App {
  return new App();
}

export function synthPipeline(overrides: Partial<SprykerPipelineProps> = {}): { stack: Stack; pipeline: SprykerPipeline; template: Template } {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const pipeline = new SprykerPipeline(stack, 'Pipeline', baseProps(overrides));
  return { stack, pipeline, template: Template.fromStack(stack) };
}

type Cfn = Record<string, any>;

/** The pipeline's stages as CloudFormation renders them. */
export function stagesOf(template: Template): Cfn[] {
  const pipelines = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
  expect(pipelines).toHaveLength(1);
  return pipelines[0].Properties.Stages;
}

/** The action of a stage with that name. */
export function actionOf(template: Template, stageName: string, actionName = stageName): Cfn {
  const stage = stagesOf(template).find((s) => s.Name === stageName);
  const action = stage?.Actions.find((a: Cfn) => a.Name === actionName);
  if (!action) throw new Error(`no action ${actionName} in stage ${stageName}`);
  return action;
}

/** The decoded UserParameters of a Lambda action. */
export function userParametersOf(template: Template, stageName: string, actionName = stageName): Cfn {
  return JSON.parse(actionOf(template, stageName, actionName).Configuration.UserParameters);
}

/** The logical id of the Lambda function a Lambda action invokes. */
export function functionOf(template: Template, stageName: string, actionName = stageName): string {
  return actionOf(template, stageName, actionName).Configuration.FunctionName.Ref;
}

/** Every IAM statement attached to the role of a function, by logical id: its inline and its customer managed policies. */
export function statementsOfFunction(template: Template, functionLogicalId: string): Cfn[] {
  const fn = template.toJSON().Resources[functionLogicalId];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = [...Object.values(template.findResources('AWS::IAM::Policy')), ...Object.values(template.findResources('AWS::IAM::ManagedPolicy'))].filter((p: Cfn) =>
    p.Properties.Roles?.some((r: Cfn) => r.Ref === roleId),
  );
  return policies.flatMap((p: Cfn) => p.Properties.PolicyDocument.Statement);
}

export function actionsOf(statements: Cfn[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
}

/** An ARN as a string: Fn::Join flattened, the partition pseudo parameter as `aws`. */
export function arnText(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Cfn;
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(arnText).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}
