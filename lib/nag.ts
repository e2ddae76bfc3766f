import { AspectPriority, Aspects, CfnResource, Stack, Validations, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements owned by the construct set: a wildcard that AWS requires (an action
 * without resource-level permissions, a CDK grant's object pattern) is acknowledged where it is
 * created, with its reason, so that a project running cdk-nag sees only its own findings. Both
 * generations read them, and the package depends on neither: cdk-nag 3 (a `Validations` plugin)
 * reads `Validations.acknowledge`; cdk-nag 2 (classic Aspects) reads the `cdk_nag` metadata of each
 * CloudFormation resource, which an Aspect that runs before any read-only one writes.
 */

/** Flattens a CloudFormation value the way cdk-nag names findings (`<Logical.Attr>`, `<Ref>`). */
export function nagFlatten(scope: IConstruct, value: unknown): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const n = node as Record<string, unknown>;
    if (n['Fn::Join']) {
      const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (n['Fn::Sub']) return visit(n['Fn::Sub']);
    if (n['Fn::GetAtt']) {
      const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (n['Fn::ImportValue']) return visit(n['Fn::ImportValue']);
    if (n.Ref) return `<${visit(n.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(value));
}

/** A cdk-nag 2 suppression as it is stored in a resource's `cdk_nag` metadata. */
interface Nag2Rule {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: string[];
  readonly is_reason_encoded?: boolean;
}

/** Resource types that IAM rules (IAM4, IAM5) judge: their acknowledgements go on these only. */
const IAM_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);

/** Whether a cdk-nag 2 rule pack (an Aspect with a pack name) checks this construct. */
function checkedByNag2(node: IConstruct): boolean {
  return node.node.scopes.some((scope) => Aspects.of(scope).all.some((a) => typeof (a as { readPackName?: unknown }).readPackName === 'string'));
}

/**
 * Writes the acknowledgements of a scope into the `cdk_nag` metadata of the resources below it
 * that the rules judge, when cdk-nag 2 checks them (the template is unchanged otherwise).
 */
class Nag2Suppressions implements IAspect {
  public readonly rules: Nag2Rule[] = [];

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || !checkedByNag2(node)) return;
    const applicable = this.rules.filter((r) => !/-IAM[45]$/.test(r.id) || IAM_TYPES.has(node.cfnResourceType));
    if (!applicable.length) return;
    const metadata = (node.getMetadata('cdk_nag') ?? {}) as { rules_to_suppress?: Nag2Rule[] };
    const rules = [...(metadata.rules_to_suppress ?? [])];
    for (const rule of applicable) if (!rules.some((r) => JSON.stringify(r) === JSON.stringify(rule))) rules.push(rule);
    node.addMetadata('cdk_nag', { ...metadata, rules_to_suppress: rules });
  }
}

const nag2 = new WeakMap<IConstruct, Nag2Suppressions>();

/** `AwsSolutions-IAM5[Resource::*]` → cdk-nag 2's `{ id: 'AwsSolutions-IAM5', applies_to: ['Resource::*'] }`. */
function nag2Rule(id: string, reason: string): Nag2Rule {
  const m = /^([^[]+)\[(.*)\]$/.exec(id);
  // cdk-nag 2 stores a reason with characters beyond Latin-1 base64-encoded.
  const encoded = [...reason].some((c) => (c.codePointAt(0) ?? 0) > 255);
  return {
    id: m ? m[1] : id,
    reason: encoded ? Buffer.from(reason).toString('base64') : reason,
    ...(m && { applies_to: [m[2]] }),
    ...(encoded && { is_reason_encoded: true }),
  };
}

/** Acknowledges one finding id (e.g. `AwsSolutions-S1`) on a scope and everything below it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
  let aspect = nag2.get(scope);
  if (!aspect) {
    aspect = new Nag2Suppressions();
    nag2.set(scope, aspect);
    // Before cdk-nag 2's checks (default priority), which read the metadata.
    Aspects.of(scope).add(aspect, { priority: AspectPriority.MUTATING });
  }
  aspect.rules.push(nag2Rule(id, reason));
}

/** The AwsSolutions-IAM5 finding ids that a statement's wildcards raise. */
export function wildcardFindings(scope: IConstruct, statement: iam.PolicyStatement): string[] {
  return findingsOf(scope, statement.toStatementJson());
}

function findingsOf(scope: IConstruct, json: { Action?: string | string[]; Resource?: unknown }): string[] {
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return [
    ...list(json.Action).filter((a) => a.includes('*')).map((a) => `AwsSolutions-IAM5[Action::${a}]`),
    ...list(json.Resource).map((r) => nagFlatten(scope, r)).filter((r) => r.includes('*')).map((r) => `AwsSolutions-IAM5[Resource::${r}]`),
  ];
}

/** Whether a statement has a wildcard in an action or a resource. */
export function hasWildcard(scope: IConstruct, statement: iam.PolicyStatement): boolean {
  return wildcardFindings(scope, statement).length > 0;
}

const wildcardPolicies = new WeakMap<iam.Role, { policy: iam.Policy; findings: Set<string> }[]>();

/**
 * Adds a statement with wildcards to the role, in a policy of the role's own in which no other
 * statement raises the same finding id, and acknowledges those ids there with the statement's
 * reason. cdk-nag names an IAM5 finding by the wildcard only (`Resource::*`), per policy: shared
 * with another statement, one reason would cover both, and a later wildcard would hide behind it.
 */
export function addWildcardStatement(role: iam.Role, statement: iam.PolicyStatement, reason: string): iam.Policy {
  const findings = wildcardFindings(role, statement);
  const policies = wildcardPolicies.get(role) ?? [];
  wildcardPolicies.set(role, policies);
  let entry = policies.find((p) => findings.every((f) => !p.findings.has(f)));
  if (!entry) {
    entry = { policy: new iam.Policy(role, `Wildcards${policies.length || ''}`, { roles: [role] }), findings: new Set() };
    policies.push(entry);
  }
  entry.policy.addStatements(statement);
  for (const finding of findings) {
    entry.findings.add(finding);
    acknowledge(entry.policy, finding, reason);
  }
  return entry.policy;
}

/**
 * Acknowledges a wildcard that a CDK grant puts into a role's default policy (e.g.
 * LambdaInvokeAction's `codepipeline:PutJob*Result` on `*`), and refuses at synth any other
 * statement of that policy that raises the same finding: it would otherwise hide behind this reason.
 */
export function acknowledgeGrantWildcard(role: iam.IRole, finding: string, reason: string, actions: readonly string[]): void {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof iam.Policy)) return;
  acknowledge(policy, finding, reason);
  policy.node.addValidation({
    validate: () => {
      const statements = (Stack.of(policy).resolve(policy.document)?.Statement ?? []) as { Action?: string | string[]; Resource?: unknown }[];
      return statements
        .filter((s) => findingsOf(policy, s).includes(finding))
        .map((s) => [s.Action ?? []].flat())
        .filter((acts) => acts.some((a) => !actions.includes(a)))
        .map((acts) => `${policy.node.path}: a statement with ${acts.join(', ')} raises ${finding}, acknowledged only for ${actions.join(', ')}: add it with a reason of its own (StepHandler.addToRolePolicy)`);
    },
  });
}

/** ServerlessChecks findings of a step handler's function, whose only caller is CodePipeline. */
export function acknowledgeInvokedByCodePipeline(fn: IConstruct): void {
  const lost =
    'CodePipeline invokes the step handler asynchronously, with Lambda retries 0: an invocation that ends without a job result fails the action after 20 minutes, in the pipeline and its notifications.';
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    `${lost} A dead-letter queue would keep job events with their temporary artifact credentials, and replaying one is a job CodePipeline did not issue, which the handlers refuse`,
  );
  acknowledge(fn, 'Serverless-LambdaAsyncFailureDestination', `${lost} A failure destination would only copy the event nobody may replay`);
  acknowledge(
    fn,
    'Serverless-LambdaTracing',
    "each invocation is one CodePipeline action: the action's execution history, the handler's log group and its failure message trace it, and CloudTrail has every AWS call; X-Ray would add xray:PutTraceSegments on '*' for no question it answers",
  );
}

/**
 * ServerlessChecks findings of a function that ECS invokes as a deployment lifecycle hook
 * (cutover: 'together'): ECS calls it and reads its answer, then calls again on IN_PROGRESS.
 */
export function acknowledgeInvokedByEcsHook(fn: IConstruct): void {
  const sync =
    'ECS invokes the lifecycle hook synchronously and acts on its answer: IN_PROGRESS makes ECS invoke it again after callBackDelay, and an error or an invalid answer makes ECS roll the service deployment back.';
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    `${sync} A dead-letter queue receives only asynchronous invocations that failed: nothing would ever reach it, and the failure is already the rolled-back deployment`,
  );
  acknowledge(
    fn,
    'Serverless-LambdaAsyncFailureDestination',
    `${sync} An on-failure destination, too, applies only to asynchronous invocations; ECS re-invokes the hook itself, and Deploy_Spryker_services reports the rollback`,
  );
  acknowledge(
    fn,
    'Serverless-LambdaTracing',
    "each invocation is one hook callback of one service deployment: the deployment's lifecycle-hook status (DescribeServiceDeployments), the hook's log group and CloudTrail trace it; X-Ray would add xray:PutTraceSegments on '*' for no question they leave open",
  );
}
