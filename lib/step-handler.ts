import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeGrantWildcard, acknowledgeInvokedByCodePipeline, acknowledgeInvokedByEcsHook, addWildcardStatement, hasWildcard, nagFlatten, wildcardFindings } from './nag';
import { MANAGED_POLICY_SIZE, MANAGED_POLICIES_PER_ROLE, policySize } from './policy-size';

/** The newest Node.js runtime of aws-cdk-lib; cdk-nag's AwsSolutions-L1 accepts nothing older. */
export const STEP_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * Lambda timeout of the steps that wait (hooks, deploys): each invocation polls this long before
 * handing back a continuation, so a wait of N minutes costs about N / 14 invocations and a finished
 * task is noticed within seconds, not after a re-invocation. Below CodePipeline's 20 minutes without an answer.
 */
export const POLLING_TIMEOUT = Duration.minutes(14);
/**
 * The shortest Lambda timeout a step accepts: the job runtime keeps 10 s to start and the poll loop
 * a 15 s reserve and 5-s checks (lambda/runtime/poll.ts MIN_POLLING_TIMEOUT_MS; a test keeps the two equal).
 */
export const MIN_STEP_TIMEOUT = Duration.seconds(30);
/** Lambda's own maximum. */
const MAX_STEP_TIMEOUT = Duration.minutes(15);

export interface StepHandlerProps {
  /** Handler file in lambda/, without extension, e.g. `run-hook`. */
  readonly handler: string;
  readonly description?: string;
  /**
   * Lambda timeout. The job runtime hands back a continuation token before it runs out, and
   * CodePipeline fails an action that has not answered in 20 minutes: stay well below that.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default - none */
  readonly environment?: Record<string, string>;
  /** @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group when in a VPC */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Who invokes the function: a CodePipeline action (the job runtime corroborates each job with
   * GetJobDetails), or ECS as a service deployment's lifecycle hook (no job, no CodePipeline grant;
   * `action()` is refused).
   * @default 'codepipeline'
   */
  readonly invokedBy?: 'codepipeline' | 'ecs-lifecycle-hook';
}

/** A customer managed policy of the handler's role, with what it holds so far. */
interface ServicePolicy {
  readonly policy: iam.ManagedPolicy;
  readonly statements: unknown[];
  readonly findings: Set<string>;
}

export interface StepActionProps<P> {
  readonly actionName: string;
  /** The handler's parameter interface: serialized into UserParameters (keep it small). */
  readonly userParameters: P;
  /** @default [] */
  readonly inputs?: codepipeline.Artifact[];
  /** @default [] */
  readonly outputs?: codepipeline.Artifact[];
  /** @default 1 */
  readonly runOrder?: number;
  /** @default - no variables namespace */
  readonly variablesNamespace?: string;
}

/**
 * The one way a stage gets a Lambda: its bundle, built with the package (AWS SDK external),
 * runtime, logs with retention, no Lambda-level retries (CodePipeline invokes asynchronously, a retry would
 * repeat side effects), and the invoke action.
 */
export class StepHandler extends Construct {
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  /**
   * The handler's own role: its log group and the grants of its stage, no AWS managed policy. Inline
   * policies hold what does not grow with the shop; the statements that name each service are in
   * customer managed policies of the role's own (`addServiceStatements`).
   */
  public readonly role: iam.Role;
  private readonly invokedBy: NonNullable<StepHandlerProps['invokedBy']>;
  private readonly servicePolicies: ServicePolicy[] = [];

  constructor(scope: Construct, id: string, props: StepHandlerProps) {
    super(scope, id);
    this.invokedBy = props.invokedBy ?? 'codepipeline';
    const timeout = props.timeout ?? Duration.minutes(5);
    if (!timeout.isUnresolved() && (timeout.toSeconds() < MIN_STEP_TIMEOUT.toSeconds() || timeout.toSeconds() > MAX_STEP_TIMEOUT.toSeconds())) {
      throw new Error(
        `StepHandler ${this.node.path}: timeout ${timeout.toHumanString()} is outside ${MIN_STEP_TIMEOUT.toHumanString()}-${MAX_STEP_TIMEOUT.toHumanString()}: ` +
          'a step needs 10 s to start, 15 s of reserve for its last check and its answer to CodePipeline, and time to wait between checks; Lambda allows at most 15 minutes',
      );
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
    );
    // The job runtime corroborates every job with CodePipeline before acting on it.
    if (this.invokedBy === 'codepipeline') {
      this.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['codepipeline:GetJobDetails'], resources: ['*'] }),
        'codepipeline:GetJobDetails supports no resource-level permissions (Service Authorization Reference); read-only, and the handler asks only about the job it was invoked with',
      );
    }
    if (props.vpc) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
        'Lambda in a VPC manages its network interfaces; EC2 offers no resource-level permissions for creating and describing them',
      );
    }
    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(handlerBundle(props.handler)),
      handler: 'index.handler',
      runtime: STEP_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      role: this.role,
      timeout,
      memorySize: props.memorySize ?? 256,
      retryAttempts: 0,
      logGroup: this.logGroup,
      environment: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...props.environment },
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups,
    });
    if (this.invokedBy === 'ecs-lifecycle-hook') {
      acknowledgeInvokedByEcsHook(this.function);
    } else {
      acknowledgeInvokedByCodePipeline(this.function);
      // LambdaInvokeAction grants the pipeline's action role invoke on the function and its versions (`<arn>:*`).
      acknowledge(
        Stack.of(this),
        `AwsSolutions-IAM5[Resource::${nagFlatten(this, this.function.functionArn)}:*]`,
        'CodePipeline invokes this step handler; the `:*` covers its versions and aliases only',
      );
    }
    this.node.addValidation({
      validate: () =>
        this.servicePolicies.length > MANAGED_POLICIES_PER_ROLE
          ? [
              `StepHandler ${this.node.path}: its grants that name each service need ${this.servicePolicies.length} managed policies of ${MANAGED_POLICY_SIZE} characters, above IAM's default of ${MANAGED_POLICIES_PER_ROLE} per role: ` +
                'deploy fewer services per environment, shorten their names, or raise the "Managed policies per role" quota and check it stays below 20',
            ]
          : [],
    });
  }

  /** A CodePipeline action invoking this handler with typed parameters. */
  public action<P>(props: StepActionProps<P>): actions.LambdaInvokeAction {
    if (this.invokedBy !== 'codepipeline') {
      throw new Error(`StepHandler ${this.node.path}: invoked by ${this.invokedBy}, not by CodePipeline: it has no job runtime grant (GetJobDetails) and cannot be a pipeline action`);
    }
    acknowledgeGrantWildcard(this.role, 'AwsSolutions-IAM5[Resource::*]', 'LambdaInvokeAction grants codepipeline:PutJobSuccessResult/PutJobFailureResult, which support no resource-level permissions', [
      'codepipeline:PutJobSuccessResult',
      'codepipeline:PutJobFailureResult',
    ]);
    return new actions.LambdaInvokeAction({
      actionName: props.actionName,
      lambda: this.function,
      userParameters: props.userParameters as unknown as Record<string, unknown>,
      inputs: props.inputs,
      outputs: props.outputs,
      runOrder: props.runOrder,
      variablesNamespace: props.variablesNamespace,
    });
  }

  /**
   * Adds a statement to the handler's role. A wildcard (in an action or a resource) needs the
   * reason it cannot be narrower: it becomes the cdk-nag acknowledgement of that statement alone.
   */
  public addToRolePolicy(statement: iam.PolicyStatement, wildcardReason?: string): void {
    if (!hasWildcard(this, statement)) {
      this.role.addToPrincipalPolicy(statement);
      return;
    }
    if (!wildcardReason) {
      throw new Error(`StepHandler ${this.node.path}: statement ${JSON.stringify(statement.toStatementJson())} has a wildcard: pass the reason it cannot be narrower`);
    }
    addWildcardStatement(this.role, statement, wildcardReason);
  }

  /**
   * Adds statements that name each service, task-definition family or role (they grow with the
   * shop) to customer managed policies of the role's own: IAM allows 10,240 characters for all of
   * a role's inline policies, 6,144 for each managed one. `statement` builds the statement for a
   * chunk of `items`; the chunks are as large as the policies' room allows at the longest
   * partition, region and account. A wildcard needs its reason (as in `addToRolePolicy`); a policy
   * holds no two statements raising the same finding, so each reason covers its own statement.
   */
  public addServiceStatements<T>(items: readonly T[], statement: (chunk: readonly T[]) => iam.PolicyStatement, wildcardReason?: string): void {
    if (!items.length) return;
    let target = this.servicePolicies[this.servicePolicies.length - 1] ?? this.newServicePolicy();
    let chunk: T[] = [];
    for (const item of items) {
      if (this.accepts(target, statement([...chunk, item]))) {
        chunk.push(item);
        continue;
      }
      if (chunk.length) this.placeServiceStatement(target, statement(chunk), wildcardReason);
      chunk = [item];
      target = this.newServicePolicy();
      if (!this.accepts(target, statement(chunk))) {
        throw new Error(`StepHandler ${this.node.path}: a statement for one item (${JSON.stringify(item)}) is larger than a managed policy's ${MANAGED_POLICY_SIZE} characters`);
      }
    }
    if (chunk.length) this.placeServiceStatement(target, statement(chunk), wildcardReason);
  }

  private newServicePolicy(): ServicePolicy {
    const entry: ServicePolicy = {
      // Below the role, as the inline policies are: the function (and so the pipeline's first run) waits for it.
      policy: new iam.ManagedPolicy(this.role, `ServiceGrants${this.servicePolicies.length + 1}`, {
        description: `${this.node.path}: the grants that name each service`,
        roles: [this.role],
      }),
      statements: [],
      findings: new Set(),
    };
    this.servicePolicies.push(entry);
    return entry;
  }

  /** Whether the policy has room for the statement, and no statement of it raises one of its findings. */
  private accepts(target: ServicePolicy, statement: iam.PolicyStatement): boolean {
    const json = statement.toStatementJson();
    return policySize(this, [...target.statements, json]) <= MANAGED_POLICY_SIZE && wildcardFindings(this, statement).every((f) => !target.findings.has(f));
  }

  private placeServiceStatement(target: ServicePolicy, statement: iam.PolicyStatement, wildcardReason?: string): void {
    const findings = wildcardFindings(this, statement);
    if (findings.length && !wildcardReason) {
      throw new Error(`StepHandler ${this.node.path}: statement ${JSON.stringify(statement.toStatementJson())} has a wildcard: pass the reason it cannot be narrower`);
    }
    target.policy.addStatements(statement);
    target.statements.push(statement.toStatementJson());
    for (const finding of findings) {
      target.findings.add(finding);
      acknowledge(target.policy, finding, wildcardReason!);
    }
  }
}

/**
 * The handler's bundle (scripts/bundle-handlers.mjs): dist/handlers/<name>/ of the package, seen
 * from dist/lib/ once compiled and from lib/ in the source tree.
 */
function handlerBundle(name: string): string {
  const candidates = [path.join(__dirname, '..', 'handlers', name), path.join(__dirname, '..', 'dist', 'handlers', name)];
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'index.js')));
  if (!dir) throw new Error(`StepHandler: no bundle of handler '${name}' in ${candidates.join(' or ')}: run \`npm run build\` (or \`node scripts/bundle-handlers.mjs\`)`);
  return dir;
}
