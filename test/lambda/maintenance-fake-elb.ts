/**
 * A stateful fake of one ALB listener for the maintenance handler: DescribeRules (paged),
 * DescribeTags, CreateRule and DeleteRule with ALB's validation (priority in use, at most 5
 * condition values, one source-ip condition, Values or a ...Config but not both, at least one
 * condition), and a router that evaluates a request the way ALB does.
 */
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  type Action,
  type RuleCondition,
  type Tag,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';

export const LISTENER = 'arn:aws:elasticloadbalancing:eu-central-1:111111111111:listener/app/shop/abc/def';

interface FakeRule {
  arn: string;
  priority: number | 'default';
  conditions: RuleCondition[];
  actions: Action[];
  tags: Tag[];
}

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });
const forward = (tg: string): Action[] => [{ Type: 'forward', TargetGroupArn: tg, ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 1 }] } }];

export class FakeListener {
  readonly rules: FakeRule[] = [];
  readonly mock = mockClient(ElasticLoadBalancingV2Client);
  readonly client = this.mock as unknown as ElasticLoadBalancingV2Client;
  /** Names of the calls that changed the listener, in order. */
  readonly changes: string[] = [];
  /** Fails the n-th CreateRule (1-based) with an AWS error. */
  failCreateAt?: number;
  /** Fails every DeleteRule with an AWS error. */
  failDelete = false;
  private creates = 0;
  private seq = 0;

  /** `log` receives `ELB.CreateRule` / `ELB.DeleteRule`, to order them among other fakes' calls. */
  constructor(defaultTarget = 'tg-yves', private readonly log?: { op: string; body: unknown }[]) {
    this.rules.push({ arn: `${LISTENER}/default`, priority: 'default', conditions: [], actions: forward(defaultTarget), tags: [] });
    this.mock.on(DescribeRulesCommand).callsFake(({ Marker }) => {
      // Two rules a page: the handler must follow NextMarker.
      const start = Marker ? Number(Marker) : 0;
      const page = this.rules.slice(start, start + 2);
      return {
        Rules: page.map((r) => ({
          RuleArn: r.arn,
          Priority: String(r.priority),
          IsDefault: r.priority === 'default',
          // Like ALB: the legacy Values next to the ...Config.
          Conditions: r.conditions.map((c) => ({ ...c, Values: c.Values ?? Object.values(c).find((v): v is { Values: string[] } => typeof v === 'object' && v !== null && 'Values' in v)?.Values })),
          Actions: r.actions,
        })),
        NextMarker: start + 2 < this.rules.length ? String(start + 2) : undefined,
      };
    });
    this.mock.on(DescribeTagsCommand).callsFake(({ ResourceArns }) => {
      if (ResourceArns.length > 20) throw awsError('ValidationError', 'at most 20 resource ARNs');
      return { TagDescriptions: ResourceArns.map((arn: string) => ({ ResourceArn: arn, Tags: this.rules.find((r) => r.arn === arn)?.tags ?? [] })) };
    });
    this.mock.on(CreateRuleCommand).callsFake((input) => {
      this.creates++;
      if (this.failCreateAt === this.creates) throw awsError('TooManyRulesException', 'the load balancer has too many rules');
      const conditions: RuleCondition[] = input.Conditions;
      if (!conditions.length) throw awsError('ValidationError', 'a rule needs at least one condition');
      if (this.rules.some((r) => r.priority === input.Priority)) throw awsError('PriorityInUseException', `priority ${input.Priority} is in use`);
      for (const c of conditions) {
        if (c.Values && Object.keys(c).some((k) => k.endsWith('Config'))) throw awsError('ValidationError', 'Values and a condition config cannot both be set');
      }
      if (conditions.filter((c) => c.Field === 'source-ip').length > 1) throw awsError('ValidationError', 'one source-ip condition per rule');
      const values = conditions.reduce((n, c) => n + (c.Values?.length ?? Object.values(c).reduce((m: number, v) => m + ((v as { Values?: unknown[] })?.Values?.length ?? 0), 0)), 0);
      if (values > 5) throw awsError('ValidationError', `${values} condition values, at most 5`);
      const rule = { arn: `${LISTENER}/rule-${++this.seq}`, priority: input.Priority, conditions, actions: input.Actions, tags: input.Tags ?? [] };
      this.rules.push(rule);
      this.changes.push(`create ${input.Priority}`);
      this.log?.push({ op: 'ELB.CreateRule', body: input });
      return { Rules: [{ RuleArn: rule.arn }] };
    });
    this.mock.on(DeleteRuleCommand).callsFake(({ RuleArn }) => {
      if (this.failDelete) throw awsError('AccessDenied', 'User is not authorized to perform: elasticloadbalancing:DeleteRule');
      this.log?.push({ op: 'ELB.DeleteRule', body: { RuleArn } });
      const i = this.rules.findIndex((r) => r.arn === RuleArn);
      if (i < 0) throw awsError('RuleNotFoundException', `${RuleArn} not found`);
      this.changes.push(`delete ${this.rules[i].priority}`);
      this.rules.splice(i, 1);
      return {};
    });
  }

  /** A rule of the shop's own (CloudFormation's), forwarding a host to a target group. */
  addHostRule(priority: number, host: string, tg: string): void {
    this.rules.push({ arn: `${LISTENER}/own-${priority}`, priority, conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }], actions: forward(tg), tags: [] });
  }

  /** What ALB answers a request with: the target group, or `503 <body>`. */
  route(req: { host: string; path?: string; ip: string }): string {
    const ordered = [...this.rules].sort((a, b) => (a.priority === 'default' ? 1 : b.priority === 'default' ? -1 : a.priority - b.priority));
    const rule = ordered.find((r) => r.priority === 'default' || r.conditions.every((c) => matches(c, req)))!;
    const action = rule.actions[rule.actions.length - 1];
    return action.Type === 'fixed-response' ? `${action.FixedResponseConfig!.StatusCode} ${action.FixedResponseConfig!.MessageBody}` : action.TargetGroupArn!;
  }

  maintenanceRules(): FakeRule[] {
    return this.rules.filter((r) => r.tags.some((t) => t.Key === 'spryker:maintenance'));
  }
}

function matches(c: RuleCondition, req: { host: string; path?: string; ip: string }): boolean {
  switch (c.Field) {
    case 'host-header':
      return (c.HostHeaderConfig?.Values ?? c.Values ?? []).includes(req.host);
    case 'path-pattern':
      return (c.PathPatternConfig?.Values ?? c.Values ?? []).some((p) => new RegExp(`^${p.replace(/\*/g, '.*')}$`).test(req.path ?? '/'));
    case 'source-ip':
      return (c.SourceIpConfig?.Values ?? c.Values ?? []).some((cidr) => inCidr(req.ip, cidr));
    default:
      throw new Error(`fake listener: condition ${c.Field} not modelled`);
  }
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (n(ip) & mask) === (n(net) & mask);
}
