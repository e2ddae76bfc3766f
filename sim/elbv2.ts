/**
 * The ALB listener rules maintenance mode switches (lambda/maintenance-mode.ts), over Elastic
 * Load Balancing v2's own protocol (AWS Query: a form-encoded POST, an XML answer, lists as
 * `member` elements): DescribeRules, DescribeTags, CreateRule (tags in the same call), DeleteRule.
 * As ALB: priorities are unique per listener (PriorityInUse), the default rule cannot be deleted,
 * an unknown rule is RuleNotFound.
 */
import { AwsError } from './core';

interface Rule {
  readonly RuleArn: string;
  readonly Priority: string;
  readonly IsDefault: boolean;
  readonly Conditions: unknown[];
  readonly Actions: unknown[];
}

/** `Conditions.member.1.Field=x` → `{Conditions: [{Field: 'x'}]}` (the Query protocol's lists and structures). */
export function parseQuery(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split('.');
    let node: any = root;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      if (parts[i + 1] === 'member') {
        node[parts[i]] ??= [];
        const list = node[parts[i]];
        const index = Number(parts[i + 2]) - 1;
        if (i + 2 === parts.length - 1) {
          list[index] = value;
          break;
        }
        node = list[index] ??= {};
        i += 2;
      } else if (last) node[parts[i]] = value;
      else node = node[parts[i]] ??= {};
    }
  }
  return root;
}

const escape = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/** A value as Query-protocol XML: arrays as `member` lists. */
export function toXml(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escape(String(value));
}

export class FakeElbv2 {
  /** Listener ARN → its rules (the default rule included). */
  readonly listeners = new Map<string, Rule[]>();
  readonly tags = new Map<string, { Key: string; Value: string }[]>();
  private next = 1;

  /** A listener whose default action forwards to the shop, and the shop's own rules (priority → path pattern). */
  addListener(listenerArn: string, rules: Record<number, string> = {}): void {
    const forward = [{ Type: 'forward', TargetGroupArn: `${listenerArn.replace(':listener/', ':targetgroup/')}-shop`, Order: '1' }];
    const list: Rule[] = [{ RuleArn: `${listenerArn.replace(':listener/', ':listener-rule/')}/default`, Priority: 'default', IsDefault: true, Conditions: [], Actions: forward }];
    for (const [priority, path] of Object.entries(rules)) {
      list.push({ RuleArn: this.ruleArn(listenerArn), Priority: priority, IsDefault: false, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [path] } }], Actions: forward });
    }
    this.listeners.set(listenerArn, list);
  }

  private ruleArn(listenerArn: string): string {
    return `${listenerArn.replace(':listener/', ':listener-rule/')}/${(this.next++).toString(16).padStart(16, '0')}`;
  }

  private listener(arn: unknown): Rule[] {
    const rules = this.listeners.get(String(arn));
    if (!rules) throw new AwsError('ListenerNotFound', `Listener '${arn}' not found`);
    return rules;
  }

  /** Answers one request; the XML body, or an AwsError. */
  handle(body: string): string {
    const input = parseQuery(body);
    const action = String(input.Action);
    const result = this.api[action]?.(input);
    if (result === undefined) throw new AwsError('InvalidAction', `fake ELBv2 has no ${action}`);
    const ns = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
    return `<${action}Response xmlns="${ns}"><${action}Result>${toXml(result)}</${action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`;
  }

  private readonly api: Record<string, (b: any) => Record<string, unknown>> = {
    DescribeRules: (b) => ({ Rules: this.listener(b.ListenerArn) }),
    DescribeTags: (b) => ({ TagDescriptions: (b.ResourceArns as string[]).map((arn) => ({ ResourceArn: arn, Tags: this.tags.get(arn) ?? [] })) }),
    CreateRule: (b) => {
      const rules = this.listener(b.ListenerArn);
      if (rules.some((r) => r.Priority === String(b.Priority))) throw new AwsError('PriorityInUse', `Priority '${b.Priority}' is currently in use`);
      const rule: Rule = { RuleArn: this.ruleArn(String(b.ListenerArn)), Priority: String(b.Priority), IsDefault: false, Conditions: b.Conditions ?? [], Actions: b.Actions ?? [] };
      rules.push(rule);
      this.tags.set(rule.RuleArn, b.Tags ?? []);
      return { Rules: [rule] };
    },
    DeleteRule: (b) => {
      for (const rules of this.listeners.values()) {
        const i = rules.findIndex((r) => r.RuleArn === b.RuleArn);
        if (i < 0) continue;
        if (rules[i].IsDefault) throw new AwsError('OperationNotPermitted', 'Default rules cannot be deleted');
        rules.splice(i, 1);
        this.tags.delete(String(b.RuleArn));
        return {};
      }
      throw new AwsError('RuleNotFound', `One or more rules not found`);
    },
  };

  /** Whether the listener answers 503 for everyone (a maintenance rule of ours is on it). */
  blocking(listenerArn: string): boolean {
    return this.listener(listenerArn).some((r) => (r.Actions as { Type?: string; FixedResponseConfig?: { StatusCode?: string } }[]).some((a) => a.FixedResponseConfig?.StatusCode === '503'));
  }
}
