/**
 * CloudFormation resolves references only at deploy time, so the deploy-time limits are checked on
 * the synthesized template with every reference at the longest value it can take: the pseudo
 * parameters at their longest, a resource's name as the template sets it, or else the longest name
 * CloudFormation generates for it (stack name, logical id and a random suffix, cut to the type's
 * name limit), and an ARN attribute in the shape of its type around that name.
 */
type Cfn = Record<string, any>;

const LONGEST: Record<string, string> = {
  'AWS::Partition': 'aws-iso-b',
  'AWS::Region': 'ap-southeast-5x',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com.cn',
  'AWS::StackName': 'x'.repeat(128),
};
const P = LONGEST['AWS::Partition'];
const R = LONGEST['AWS::Region'];
const A = LONGEST['AWS::AccountId'];

interface NamedType {
  /** The property that names the resource, when the template sets it. */
  readonly nameProperty: string;
  /** The longest name the type allows (a generated name is cut to it). */
  readonly maxName: number;
  /** What `Ref` returns, given the name. */
  readonly ref: (name: string) => string;
  /** `Fn::GetAtt` attributes, given the name. */
  readonly attributes: Record<string, (name: string) => string>;
}

const byName = (name: string) => name;
/** Resource types whose references appear in the app's policies and configuration (CloudFormation resource reference: return values). */
const TYPES: Record<string, NamedType> = {
  'AWS::ECR::Repository': { nameProperty: 'RepositoryName', maxName: 256, ref: byName, attributes: { Arn: (n) => `arn:${P}:ecr:${R}:${A}:repository/${n}` } },
  'AWS::Lambda::Function': { nameProperty: 'FunctionName', maxName: 64, ref: byName, attributes: { Arn: (n) => `arn:${P}:lambda:${R}:${A}:function:${n}` } },
  'AWS::S3::Bucket': { nameProperty: 'BucketName', maxName: 63, ref: byName, attributes: { Arn: (n) => `arn:${P}:s3:::${n}`, DomainName: (n) => `${n}.s3.amazonaws.com`, RegionalDomainName: (n) => `${n}.s3.${R}.amazonaws.com` } },
  'AWS::DynamoDB::Table': { nameProperty: 'TableName', maxName: 255, ref: byName, attributes: { Arn: (n) => `arn:${P}:dynamodb:${R}:${A}:table/${n}` } },
  'AWS::Logs::LogGroup': { nameProperty: 'LogGroupName', maxName: 512, ref: byName, attributes: { Arn: (n) => `arn:${P}:logs:${R}:${A}:log-group:${n}:*` } },
  'AWS::IAM::Role': { nameProperty: 'RoleName', maxName: 64, ref: byName, attributes: { Arn: (n) => `arn:${P}:iam::${A}:role/${n}`, RoleId: () => 'A'.repeat(21) } },
  'AWS::SSM::Parameter': { nameProperty: 'Name', maxName: 2048, ref: byName, attributes: { Value: () => 'v'.repeat(4096) } },
  'AWS::SNS::Topic': { nameProperty: 'TopicName', maxName: 256, ref: (n) => `arn:${P}:sns:${R}:${A}:${n}`, attributes: { TopicArn: (n) => `arn:${P}:sns:${R}:${A}:${n}`, TopicName: byName } },
  'AWS::CodeBuild::Project': { nameProperty: 'Name', maxName: 255, ref: byName, attributes: { Arn: (n) => `arn:${P}:codebuild:${R}:${A}:project/${n}` } },
  'AWS::CodePipeline::Pipeline': { nameProperty: 'Name', maxName: 100, ref: byName, attributes: {} },
  // A key's id is a UUID whatever the stack is named.
  'AWS::KMS::Key': { nameProperty: 'KeyId', maxName: 36, ref: () => 'k'.repeat(36), attributes: { Arn: () => `arn:${P}:kms:${R}:${A}:key/${'k'.repeat(36)}`, KeyId: () => 'k'.repeat(36) } },
  'AWS::SecretsManager::Secret': { nameProperty: 'Name', maxName: 512, ref: (n) => `arn:${P}:secretsmanager:${R}:${A}:secret:${n}-XXXXXX`, attributes: {} },
  'AWS::IAM::ManagedPolicy': { nameProperty: 'ManagedPolicyName', maxName: 128, ref: (n) => `arn:${P}:iam::${A}:policy/${n}`, attributes: { PolicyArn: (n) => `arn:${P}:iam::${A}:policy/${n}` } },
};

/** Resolves template values at their worst-case deploy-time length. */
export class WorstCase {
  constructor(private readonly template: Cfn) {}

  /** The deploy-time string of a template value. */
  public text(value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const v = value as Cfn;
    if (v.Ref !== undefined) return this.ref(v.Ref);
    if (v['Fn::GetAtt']) {
      const [id, attribute] = typeof v['Fn::GetAtt'] === 'string' ? v['Fn::GetAtt'].split('.') : v['Fn::GetAtt'];
      return this.attribute(id, attribute);
    }
    if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map((x) => this.text(x)).join(v['Fn::Join'][0]);
    if (v['Fn::Sub'] !== undefined) {
      const [body, vars] = typeof v['Fn::Sub'] === 'string' ? [v['Fn::Sub'], {}] : v['Fn::Sub'];
      return (body as string).replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
        if (name in vars) return this.text(vars[name]);
        const [id, attribute] = name.split('.');
        return attribute ? this.attribute(id, attribute) : this.ref(id);
      });
    }
    if (v['Fn::Select']) {
      const [index, list] = v['Fn::Select'];
      return this.list(list)[Number(index)];
    }
    throw new Error(`worst case: no rule for ${JSON.stringify(value).slice(0, 200)}: teach test/infra/worst-case.ts its longest value`);
  }

  private list(value: unknown): string[] {
    if (Array.isArray(value)) return value.map((x) => this.text(x));
    const v = value as Cfn;
    if (v['Fn::Split']) return this.text(v['Fn::Split'][1]).split(v['Fn::Split'][0]);
    throw new Error(`worst case: no list rule for ${JSON.stringify(value).slice(0, 200)}: teach test/infra/worst-case.ts its longest value`);
  }

  /** A policy document (or any JSON) with every reference replaced by its worst-case string. */
  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((x) => this.resolve(x));
    if (typeof value !== 'object' || value === null) return value;
    const v = value as Cfn;
    if (v.Ref !== undefined || Object.keys(v).some((k) => k.startsWith('Fn::'))) return this.text(value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]));
  }

  /** A policy's size as IAM counts it: its JSON without whitespace (IAM and STS quotas). */
  public policySize(document: unknown): number {
    return JSON.stringify(this.resolve(document)).replace(/\s/g, '').length;
  }

  private ref(id: string): string {
    if (id in LONGEST) return LONGEST[id];
    const resource = this.template.Resources?.[id];
    if (!resource) {
      if (this.template.Parameters?.[id]) return 'p'.repeat(4096);
      throw new Error(`worst case: Ref ${id} names nothing in the template`);
    }
    return this.type(id).ref(this.name(id));
  }

  private attribute(id: string, attribute: string): string {
    const rule = this.type(id).attributes[attribute];
    if (!rule) throw new Error(`worst case: no rule for ${this.template.Resources[id].Type}.${attribute} (${id}): teach test/infra/worst-case.ts its shape`);
    return rule(this.name(id));
  }

  private type(id: string): NamedType {
    const type = TYPES[this.template.Resources[id].Type];
    if (!type) throw new Error(`worst case: no rule for references to ${this.template.Resources[id].Type} (${id}): teach test/infra/worst-case.ts its shape`);
    return type;
  }

  /** The resource's name as the template sets it, or CloudFormation's longest generated one. */
  private name(id: string): string {
    const type = this.type(id);
    const given = this.template.Resources[id].Properties?.[type.nameProperty];
    if (given !== undefined) return this.text(given);
    const generated = `${LONGEST['AWS::StackName']}-${id}-${'R'.repeat(13)}`;
    return generated.slice(0, type.maxName);
  }
}

/** What IAM counts of one role at deploy time. */
export interface RoleSize {
  /** All inline policies together (AWS::IAM::Role Policies and every AWS::IAM::Policy naming the role). */
  readonly inline: number;
  /** Each customer managed policy of the template attached to the role. */
  readonly managed: number[];
  /** Managed policies attached: the template's and those named by ARN (AWS managed). */
  readonly attached: number;
  /** The trust policy. */
  readonly trust: number;
}

/** Every role of the template, by logical id, sized at its worst case. */
export function roleSizes(template: Cfn): Record<string, RoleSize> {
  const worst = new WorstCase(template);
  const roles: Record<string, { inline: number; managed: number[]; attached: number; trust: number }> = {};
  const resources = Object.entries<Cfn>(template.Resources);
  for (const [id, r] of resources) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    const inline = (r.Properties.Policies ?? []).reduce((n: number, p: Cfn) => n + worst.policySize(p.PolicyDocument), 0);
    roles[id] = { inline, managed: [], attached: (r.Properties.ManagedPolicyArns ?? []).length, trust: worst.policySize(r.Properties.AssumeRolePolicyDocument) };
  }
  const attachedTo = (r: Cfn): string[] =>
    (r.Properties.Roles ?? []).map((role: Cfn) => {
      if (!role.Ref || !roles[role.Ref]) throw new Error(`a policy names a role that is not in the template: ${JSON.stringify(role)}`);
      return role.Ref;
    });
  for (const [id, r] of resources) {
    if (r.Type === 'AWS::IAM::Policy') for (const role of attachedTo(r)) roles[role].inline += worst.policySize(r.Properties.PolicyDocument);
    if (r.Type === 'AWS::IAM::ManagedPolicy') {
      for (const role of attachedTo(r)) {
        roles[role].managed.push(worst.policySize(r.Properties.PolicyDocument));
        // Attached by the policy's Roles; counted once if the role's ManagedPolicyArns also names it.
        const listed = (template.Resources[role].Properties.ManagedPolicyArns ?? []).some((arn: Cfn) => arn?.Ref === id);
        if (!listed) roles[role].attached += 1;
      }
    }
  }
  return roles;
}
