import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** IAM and STS quotas: a customer managed policy holds at most 6,144 characters, whitespace not counted. */
export const MANAGED_POLICY_SIZE = 6144;
/** IAM and STS quotas: managed policies attached to a role, by default (adjustable to 20). */
export const MANAGED_POLICIES_PER_ROLE = 10;

/** The longest value each pseudo parameter takes in any partition. */
const LONGEST: Record<string, string> = {
  'AWS::Partition': 'aws-iso-b',
  'AWS::Region': 'ap-southeast-5x',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com.cn',
};
/** Any other reference (a resource's ARN or name): as long as a generous ARN. */
const OTHER_REFERENCE = 'r'.repeat(256);

function worstCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(worstCase);
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return LONGEST[v.Ref] ?? OTHER_REFERENCE;
  if (v['Fn::Join']) {
    const [delimiter, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => (typeof p === 'string' ? p : String(worstCase(p)))).join(delimiter);
  }
  if (Object.keys(v).some((k) => k.startsWith('Fn::'))) return OTHER_REFERENCE;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, worstCase(x)]));
}

/** The size IAM counts for a policy of these statements, every reference at its longest. */
export function policySize(scope: IConstruct, statements: readonly unknown[]): number {
  const document = Stack.of(scope).resolve({ Version: '2012-10-17', Statement: statements });
  return JSON.stringify(worstCase(document)).replace(/\s/g, '').length;
}
