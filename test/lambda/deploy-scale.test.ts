/**
 * The deploy step at the size of a large shop. Kept apart from deploy.test.ts: it is slow, and
 * mutation testing of lambda/deploy.ts leaves it out (it pins the token's size, which no mutant
 * of the file changes; docs/step-handlers.md, Mutation testing).
 */
import { step } from '../../lambda/deploy';
import { defineStep } from '../../lambda/runtime/job';
import type { FakeAws } from '../fakes/aws';
import { prepareRelease, RELEASE_OUTPUT, MODEL, td, useFakeAws } from '../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

test('a 200-service shop with a short Lambda time: every service tracked by name to the end, every token within 2048 characters', async () => {
  const model = prepareRelease(aws, { apps: Array.from({ length: 200 }, (_, i) => `app-with-a-rather-long-name-${i}`) });
  const { report, invocations, tokens } = await aws.runJob(defineStep(step, aws.deps()), { id: 'job-200', params: { model: MODEL, services: 'application' }, inputs: [RELEASE_OUTPUT] }, { lambdaMs: 30_000 });
  expect(report.kind).toBe('success');
  expect(report.body.executionDetails.summary).toMatch(/^200 service\(s\) on release 2{40} after \d+ s/);
  expect(aws.calls('ECS.UpdateService')).toHaveLength(200);
  expect(invocations).toBeGreaterThan(2);
  expect(tokens.length).toBe(invocations - 1);
  expect(Math.max(...tokens.map((t) => t.length))).toBeLessThanOrEqual(2048);
  for (const s of model.services) expect(aws.ecs.services.get(s.service)!.deployments).toMatchObject([{ taskDefinition: td(s.service, 2), rolloutState: 'COMPLETED' }]);
});
