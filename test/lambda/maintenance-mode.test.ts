import { CodePipelineClient, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { disableMaintenance, enableMaintenance, handler as maintenanceHandler, step } from '../../lambda/maintenance-mode';
import type { MaintenanceConfig } from '../../lib/contracts/maintenance';
import { defineStep } from '../../lambda/runtime/job';
import { mockedRuntime } from '../fakes/mock-runtime';
import { FakeListener, LISTENER } from './maintenance-fake-elb';

const PAGE = '<h1>We will be back soon</h1>';
const config = (over: Partial<MaintenanceConfig> = {}): MaintenanceConfig => ({
  v: 1,
  env: 'production',
  listenerArn: LISTENER,
  priority: 1,
  allowedIps: [],
  page: PAGE,
  contentType: 'text/html',
  ...over,
});

/** The shop: host routing for yves, glue and backoffice; the default action goes to yves. */
function shop(): FakeListener {
  const alb = new FakeListener('tg-yves');
  alb.addHostRule(10, 'www.shop.de', 'tg-yves');
  alb.addHostRule(11, 'glue.shop.de', 'tg-glue');
  alb.addHostRule(12, 'backoffice.shop.de', 'tg-backoffice');
  return alb;
}

describe('maintenance mode on the ALB listener', () => {
  test('without an allow-list: one 503 rule, everyone sees the page; disabling restores the routing', async () => {
    const alb = shop();
    const on = await enableMaintenance(alb.client, config());
    expect(on).toEqual({ summary: expect.stringMatching(/^maintenance of production on: 503 for everyone else/), wasOn: false });
    expect(alb.changes).toEqual(['create 1']);
    expect(alb.route({ host: 'www.shop.de', ip: '198.51.100.7' })).toBe(`503 ${PAGE}`);
    expect(alb.route({ host: 'backoffice.shop.de', path: '/security-gui/login', ip: '198.51.100.7' })).toBe(`503 ${PAGE}`);

    const off = await disableMaintenance(alb.client, config());
    expect(off).toMatch(/^maintenance of production off: 1 rule\(s\) removed/);
    expect(alb.route({ host: 'backoffice.shop.de', ip: '198.51.100.7' })).toBe('tg-backoffice');
    expect(alb.rules).toHaveLength(4);
  });

  test('enable and disable are idempotent (a job delivered twice changes nothing more)', async () => {
    const alb = shop();
    await enableMaintenance(alb.client, config({ allowedIps: ['203.0.113.0/24'] }));
    const after = alb.changes.length;
    expect(await enableMaintenance(alb.client, config({ allowedIps: ['203.0.113.0/24'] }))).toEqual({ summary: expect.stringMatching(/was already on/), wasOn: true });
    expect(alb.changes).toHaveLength(after);
    await disableMaintenance(alb.client, config());
    const removed = alb.changes.length;
    expect(await disableMaintenance(alb.client, config())).toMatch(/was already off/);
    expect(alb.changes).toHaveLength(removed);
  });

  test('allow-listed IPs keep the host routing, everyone else gets 503; 7 CIDRs are split within 5 condition values', async () => {
    const alb = shop();
    const allowedIps = ['203.0.113.0/24', '198.18.0.1/32', '10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16', '10.5.0.0/16'];
    const { summary } = await enableMaintenance(alb.client, config({ allowedIps }));
    // 3 host rules × 2 clones (1 host value + at most 4 CIDRs) + default × 2 clones (5 + 2), then the 503 rule.
    expect(alb.changes).toEqual(['create 1', 'create 2', 'create 3', 'create 4', 'create 5', 'create 6', 'create 7', 'create 8', 'create 9']);
    expect(summary).toContain('still reach the shop through 8 rule(s)');
    for (const ip of ['203.0.113.9', '198.18.0.1', '10.5.3.3']) {
      expect(alb.route({ host: 'www.shop.de', ip })).toBe('tg-yves');
      expect(alb.route({ host: 'glue.shop.de', ip })).toBe('tg-glue');
      expect(alb.route({ host: 'backoffice.shop.de', ip })).toBe('tg-backoffice');
      expect(alb.route({ host: 'unknown.shop.de', ip })).toBe('tg-yves');
    }
    expect(alb.route({ host: 'glue.shop.de', ip: '198.18.0.2' })).toBe(`503 ${PAGE}`);
    expect(alb.route({ host: 'backoffice.shop.de', ip: '192.0.2.1' })).toBe(`503 ${PAGE}`);

    await disableMaintenance(alb.client, config({ allowedIps }));
    // The 503 rule goes first: no allow-listed visitor is blocked while the clones are removed.
    expect(alb.changes[9]).toBe('delete 9');
    expect(alb.maintenanceRules()).toEqual([]);
    expect(alb.route({ host: 'glue.shop.de', ip: '192.0.2.1' })).toBe('tg-glue');
  });

  test('a shop rule inside the needed priorities: clear failure, nothing changed', async () => {
    const alb = shop();
    alb.addHostRule(3, 'merchant.shop.de', 'tg-mp');
    await expect(enableMaintenance(alb.client, config({ allowedIps: ['203.0.113.0/24'] }))).rejects.toThrow(
      /needs rule priorities 1-6 \(5 allow-list rule\(s\) and the 503 rule\) .* but rule .*own-3 has priority 3\. Give the shop's own listener rules priorities above 6 \(e\.g\. from 100\)\. Nothing was changed\./,
    );
    expect(alb.changes).toEqual([]);
  });

  test('an interrupted enable leaves only allow-list clones; the next enable rebuilds them and adds the 503 rule', async () => {
    const alb = shop();
    alb.failCreateAt = 2;
    await expect(enableMaintenance(alb.client, config({ allowedIps: ['203.0.113.0/24'] }))).rejects.toThrow(/too many rules/);
    expect(alb.maintenanceRules()).toHaveLength(1);
    expect(alb.route({ host: 'glue.shop.de', ip: '192.0.2.1' })).toBe('tg-glue');

    alb.failCreateAt = undefined;
    await enableMaintenance(alb.client, config({ allowedIps: ['203.0.113.0/24'] }));
    expect(alb.maintenanceRules().map((r) => r.priority)).toEqual([1, 2, 3, 4, 5]);
    expect(alb.route({ host: 'glue.shop.de', ip: '192.0.2.1' })).toBe(`503 ${PAGE}`);
  });

  test('a rule that already matches source IPs is reported as not covered by the allow-list', async () => {
    const alb = shop();
    alb.rules.push({
      arn: `${LISTENER}/office`,
      priority: 20,
      conditions: [{ Field: 'source-ip', SourceIpConfig: { Values: ['192.0.2.0/24'] } }],
      actions: [{ Type: 'forward', TargetGroupArn: 'tg-office' }],
      tags: [],
    });
    const { summary } = await enableMaintenance(alb.client, config({ allowedIps: ['203.0.113.0/24'] }));
    expect(summary).toContain(`not covered for the allow-list: rule ${LISTENER}/office (priority 20) already matches source IPs`);
    expect(alb.route({ host: 'www.shop.de', ip: '203.0.113.1' })).toBe('tg-yves');
  });

  test("another environment's maintenance rules on a shared listener are left alone", async () => {
    const alb = shop();
    await enableMaintenance(alb.client, config({ env: 'staging', priority: 5 }));
    await enableMaintenance(alb.client, config());
    await disableMaintenance(alb.client, config());
    expect(alb.maintenanceRules().map((r) => r.tags.find((t) => t.Key === 'spryker:maintenance')!.Value)).toEqual(['staging']);
  });
});

describe('maintenance-mode handler', () => {
  const codepipeline = mockClient(CodePipelineClient);
  const ssm = mockClient(SSMClient);
  const runtime = mockedRuntime(codepipeline);
  const event = (mode: string) => runtime.event({ id: 'job-1', params: { config: '/production/pipeline/maintenance', mode } });
  const context = { getRemainingTimeInMillis: () => 60_000 };

  beforeEach(() => {
    codepipeline.reset();
    ssm.reset();
  });

  test('enable then disable report success with the summary', async () => {
    const alb = shop();
    ssm.on(GetParameterCommand, { Name: '/production/pipeline/maintenance' }).resolves({ Parameter: { Value: JSON.stringify(config()) } });
    const handler = defineStep(step, runtime.deps);
    await handler(event('enable'), context);
    await handler(event('disable'), context);
    const summaries = codepipeline.commandCalls(PutJobSuccessResultCommand).map((c) => c.args[0].input.executionDetails!.summary);
    expect(summaries).toEqual([expect.stringMatching(/^maintenance of production on/), expect.stringMatching(/^maintenance of production off/)]);
    expect(alb.changes).toEqual(['create 1', 'delete 1']);
  });

  test('an unknown mode is a configuration error and the listener is not touched', async () => {
    const alb = shop();
    await defineStep(step, runtime.deps)(event('pause'), context);
    const [call] = codepipeline.commandCalls(PutJobFailureResultCommand);
    expect(call.args[0].input.failureDetails).toMatchObject({ type: 'ConfigurationError', message: expect.stringContaining('mode: expected one of "enable", "disable"') });
    expect(alb.mock.calls()).toHaveLength(0);
  });
});

test('a lift event that is not the rule\'s shape is refused, naming every field, before any AWS call', async () => {
  const cp = mockClient(CodePipelineClient);
  const ssm = mockClient(SSMClient);
  const event = { liftAfterExecution: { config: '/production/pipeline/maintenance', pipeline: 'production-normal', executionId: '', stage: 3 } } as never;
  await expect(maintenanceHandler(event, { getRemainingTimeInMillis: () => 60_000 })).rejects.toThrow(
    "maintenance lift event refused, nothing done: liftAfterExecution.executionId: expected a non-empty string; liftAfterExecution.stage: expected string, got number; liftAfterExecution.state: required (SprykerMaintenance.liftAfter's rule writes it: redeploy the pipeline stack)",
  );
  expect(cp.calls()).toHaveLength(0);
  expect(ssm.calls()).toHaveLength(0);
  cp.restore();
  ssm.restore();
});
