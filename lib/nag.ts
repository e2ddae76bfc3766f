import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements owned by the construct set: a wildcard that AWS requires (an action
 * without resource-level permissions, a CDK grant's object pattern) is acknowledged where it is
 * created, with its reason, so that a project running AwsSolutions checks sees only its own findings.
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

/** Acknowledges one finding id (e.g. `AwsSolutions-S1`) on a scope and everything below it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges the AwsSolutions-IAM5 findings that a statement's wildcards raise. */
export function acknowledgeWildcards(scope: IConstruct, statement: iam.PolicyStatement, reason: string): void {
  const json = statement.toStatementJson() as { Action?: string | string[]; Resource?: unknown };
  const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  for (const action of list(json.Action).filter((a) => a.includes('*'))) {
    acknowledge(scope, `AwsSolutions-IAM5[Action::${action}]`, reason);
  }
  for (const resource of list(json.Resource).map((r) => nagFlatten(scope, r)).filter((r) => r.includes('*'))) {
    acknowledge(scope, `AwsSolutions-IAM5[Resource::${resource}]`, reason);
  }
}

/** Whether a statement has a wildcard in an action or a resource. */
export function hasWildcard(scope: IConstruct, statement: iam.PolicyStatement): boolean {
  return (
    statement.actions.some((a) => a.includes('*')) || statement.resources.some((r) => nagFlatten(scope, r).includes('*'))
  );
}
