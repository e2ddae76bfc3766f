import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ssmPaths } from './deployment';
import { acknowledge } from './nag';

export interface SprykerVersionsProps {
  /** Environment name: the parameters are `/{env}/desired_version`, `/{env}/lastbuildversion`, `/{env}/lastdeployedversion`. */
  readonly environment: string;
}

/** The version parameters and their values before the first run. */
export const VERSION_PARAMETERS = {
  desiredVersion: { initial: 'latest', description: "Version to deploy: 'latest' (the source commit) or a full commit hash (rollback)" },
  lastBuildVersion: { initial: 'none', description: 'Last version Build_and_Prepare prepared (written by the build)' },
  lastDeployedVersion: { initial: 'none', description: 'Last version deployed (written by UpdateDeployedVersion)' },
} as const;

/** The construct id of aws-cdk-lib's AwsCustomResource provider (a singleton per stack). */
const AWS_CUSTOM_RESOURCE_PROVIDER = 'AWS679f53fac002430cb0da5b7982bd2287';

export type VersionParameter = keyof typeof VERSION_PARAMETERS;

/**
 * SCCOS's version parameters of an environment, in SSM.
 *
 * Each is created with its initial value only if it does not exist, and never written by a later
 * deployment of the stack: people (desired_version) and the pipeline (lastbuildversion,
 * lastdeployedversion) own the values. An `AWS::SSM::Parameter` resource would not do: its update
 * handler puts the template value again on any change of the resource, a tag included, which would
 * silently undo a pinned rollback; and it fails when the parameter exists already (a migrated
 * environment). The parameters outlive the stack for the same reason.
 */
export class SprykerVersions extends Construct {
  /** Parameter names, as `ssmPaths` has them. */
  public readonly names: Record<VersionParameter, string>;

  constructor(scope: Construct, id: string, props: SprykerVersionsProps) {
    super(scope, id);
    const paths = ssmPaths(props.environment);
    this.names = { desiredVersion: paths.desiredVersion, lastBuildVersion: paths.lastBuildVersion, lastDeployedVersion: paths.lastDeployedVersion };
    for (const [key, { initial, description }] of Object.entries(VERSION_PARAMETERS) as [VersionParameter, (typeof VERSION_PARAMETERS)[VersionParameter]][]) {
      const name = this.names[key];
      new cr.AwsCustomResource(this, key, {
        resourceType: 'Custom::SprykerVersionParameter',
        onCreate: {
          service: 'SSM',
          action: 'PutParameter',
          parameters: { Name: name, Value: initial, Type: 'String', Overwrite: false, Description: `${props.environment}: ${description}` },
          physicalResourceId: cr.PhysicalResourceId.of(name),
          // An existing parameter keeps its value: that is the point.
          ignoreErrorCodesMatching: 'ParameterAlreadyExists',
        },
        policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['ssm:PutParameter'], resources: [this.arn(key)] })]),
        installLatestAwsSdk: false,
      });
    }
    // The provider function is a singleton at the stack level.
    const provider = Stack.of(this).node.findChild(AWS_CUSTOM_RESOURCE_PROVIDER);
    acknowledge(
      provider,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "AwsCustomResource's provider function writes its own logs with the basic execution role; it runs once per parameter, at creation",
    );
    const atCreation = 'CloudFormation invokes the provider synchronously, once per parameter at creation, and shows its error on the stack event';
    acknowledge(provider, 'Serverless-LambdaDLQ', `${atCreation}: there is no asynchronous invocation to keep`);
    acknowledge(provider, 'Serverless-LambdaTracing', `${atCreation}; its one SSM call is in CloudTrail`);
    acknowledge(provider, 'Serverless-LambdaDefaultMemorySize', `${atCreation}; one SSM PutParameter needs no more than the default memory`);
  }

  /** The ARN of a version parameter. */
  public arn(parameter: VersionParameter): string {
    return Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: this.names[parameter].slice(1) });
  }

  /** Read (GetParameter) the named parameters. */
  public grantRead(grantee: iam.IGrantable, ...parameters: VersionParameter[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter'], resourceArns: parameters.map((p) => this.arn(p)) });
  }

  /** Overwrite (PutParameter) the named parameters. */
  public grantWrite(grantee: iam.IGrantable, ...parameters: VersionParameter[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['ssm:PutParameter'], resourceArns: parameters.map((p) => this.arn(p)) });
  }
}
