/** The simulated ALB listener over ELBv2's Query protocol, driven by the handler's own maintenance functions (real SDK client). */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { disableMaintenance, enableMaintenance } from '../../lambda/maintenance-mode';
import type { MaintenanceConfig } from '../../lib/contracts/maintenance';
import { FakeAws } from '../fakes/aws';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
const config: MaintenanceConfig = { v: 1, env: 'production', listenerArn: LISTENER, priority: 1, allowedIps: ['203.0.113.7/32'], page: '<h1>Back soon</h1>', contentType: 'text/html' };

let aws: FakeAws;
beforeEach(async () => {
  aws = await new FakeAws().start();
  aws.elbv2.addListener(LISTENER, { 100: '/api/*' });
});
afterEach(() => aws.stop());

test('maintenance on: allow-list clones and the 503 rule above the shop\'s rules, tagged; off again; twice is once', async () => {
  const elb = new ElasticLoadBalancingV2Client(aws.deps().clientConfig!);
  const on = await enableMaintenance(elb, config, 'execution-1');
  expect(on).toMatchObject({ wasOn: false, owner: 'execution-1' });
  expect(aws.elbv2.blocking(LISTENER)).toBe(true);
  const rules = aws.elbv2.listeners.get(LISTENER)!;
  // The shop's rule and the default action each cloned for the allowed IP, then the 503 rule.
  expect(rules.map((r) => r.Priority).sort()).toEqual(['1', '100', '2', '3', 'default']);
  const block = rules.find((r) => r.Priority === '3')!;
  expect(block.Actions).toEqual([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/html', MessageBody: '<h1>Back soon</h1>' } }]);
  expect(aws.elbv2.tags.get(block.RuleArn)).toEqual(expect.arrayContaining([{ Key: 'spryker:maintenance-owner', Value: 'execution-1' }]));
  expect((await enableMaintenance(elb, config, 'execution-2')).wasOn).toBe(true);
  expect(await disableMaintenance(elb, config)).toMatch(/3 rule\(s\) removed/);
  expect(aws.elbv2.blocking(LISTENER)).toBe(false);
  expect(aws.elbv2.listeners.get(LISTENER)!.map((r) => r.Priority).sort()).toEqual(['100', 'default']);
  expect(aws.calls('ELBv2.CreateRule')).toHaveLength(3);
});

test('errors as ALB answers them: a priority in use, an unknown rule', async () => {
  const elb = new ElasticLoadBalancingV2Client(aws.deps().clientConfig!);
  const { CreateRuleCommand, DeleteRuleCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
  const rule = { ListenerArn: LISTENER, Priority: 100, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/x'] } }], Actions: [{ Type: 'forward' as const, TargetGroupArn: 'tg' }] };
  await expect(elb.send(new CreateRuleCommand(rule))).rejects.toMatchObject({ name: 'PriorityInUseException' });
  await expect(elb.send(new DeleteRuleCommand({ RuleArn: `${LISTENER}/nope` }))).rejects.toMatchObject({ name: 'RuleNotFoundException' });
});
