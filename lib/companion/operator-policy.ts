import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ssmPaths } from '../deployment';
import type { SprykerPipeline } from '../spryker-pipeline';

export interface SprykerPipelineOperatorPolicyProps {
  /** The environment's normal pipeline. */
  readonly pipeline: SprykerPipeline;
  /** @default - a name CloudFormation generates */
  readonly managedPolicyName?: string;
}

/** SSM actions that change a parameter, its versions' labels or its tags. */
const PARAMETER_WRITES = [
  'ssm:PutParameter',
  'ssm:DeleteParameter',
  'ssm:DeleteParameters',
  'ssm:LabelParameterVersion',
  'ssm:UnlabelParameterVersion',
  'ssm:AddTagsToResource',
  'ssm:RemoveTagsFromResource',
];

/**
 * A managed policy for the people (or CI) who operate an environment's deployments: they may set
 * `/{env}/desired_version` (a pin, or a rollback) and start the normal pipeline, and are denied
 * writing the pipeline's control inputs (`/{env}/pipeline/*`: model, broker, maintenance, release
 * records) and its version records, whatever else their role allows. Attach it to the operators'
 * roles; docs/security.md describes the boundary around it.
 */
export class SprykerPipelineOperatorPolicy extends Construct {
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: SprykerPipelineOperatorPolicyProps) {
    super(scope, id);
    const env = props.pipeline.deployment.environment;
    const paths = ssmPaths(env);
    const parameter = (name: string) => Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1) });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      managedPolicyName: props.managedPolicyName,
      description: `${env}: set the desired version and start the deployment; never the pipeline's control inputs`,
      statements: [
        new iam.PolicyStatement({
          sid: 'DesiredVersion',
          actions: ['ssm:GetParameter', 'ssm:PutParameter'],
          resources: [parameter(paths.desiredVersion)],
        }),
        new iam.PolicyStatement({
          sid: 'StartDeployment',
          actions: ['codepipeline:StartPipelineExecution', 'codepipeline:GetPipelineState'],
          resources: [props.pipeline.pipeline.pipelineArn],
        }),
        new iam.PolicyStatement({
          sid: 'DenyControlInputs',
          effect: iam.Effect.DENY,
          actions: PARAMETER_WRITES,
          resources: [parameter(`/${env}/pipeline/*`), parameter(paths.lastDeployedVersion), parameter(paths.lastBuildVersion)],
        }),
      ],
    });
  }
}
