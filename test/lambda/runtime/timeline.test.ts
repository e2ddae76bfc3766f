/** The states timeline in the step table: first mark wins, reads come back in state order. */
import { defineStep, type StepRecords } from '../../../lambda/runtime/job';
import { markTimeline, readTimeline } from '../../../lambda/runtime/timeline';
import { timelineKey } from '../../../lib/contracts/timeline';
import { type FakeAws } from '../../fakes/aws';
import { useFakeAws } from '../../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

async function withRecords<T>(body: (records: StepRecords) => Promise<T>, id: string): Promise<T> {
  let out: T | undefined;
  await defineStep({ name: 'timeline', parseParams: (p) => p, run: async (ctx) => ((out = await body(ctx.records)), { status: 'done', summary: 'ok' }) }, aws.deps())(
    aws.event({ id, params: {} }),
    aws.context(),
  );
  return out as T;
}

test('two deliveries marking one edge at once keep one time; a later mark does not move it', async () => {
  const times = await Promise.all([
    withRecords((r) => markTimeline(r, 'exec-1', { state: 'maintenance', edge: 'start', at: 1000, by: 'Run_install/a' }), 'job-a'),
    withRecords((r) => markTimeline(r, 'exec-1', { state: 'maintenance', edge: 'start', at: 2000, by: 'Run_install/b' }), 'job-b'),
  ]);
  expect(times[0]).toBe(times[1]);
  expect([1000, 2000]).toContain(times[0]);
  const later = await withRecords((r) => markTimeline(r, 'exec-1', { state: 'maintenance', edge: 'start', at: 9000, by: 'x/y' }), 'job-c');
  expect(later).toBe(times[0]);
});

test('readTimeline returns started states in TIMELINE_STATES order, open ones without endMs, other executions apart', async () => {
  const spans = await withRecords(async (r) => {
    await markTimeline(r, 'exec-2', { state: 'mixedVersions', edge: 'start', at: 5000, by: 'Deploy_Spryker_services/Deploy', note: '4 services' });
    await markTimeline(r, 'exec-2', { state: 'schedulerPaused', edge: 'start', at: 1000, by: 'Run_pre-deploy_hook/Hook' });
    await markTimeline(r, 'exec-2', { state: 'schedulerPaused', edge: 'end', at: 3000, by: 'Run_install/Install' });
    await markTimeline(r, 'exec-3', { state: 'maintenance', edge: 'start', at: 1, by: 'a/b' });
    return readTimeline(r, 'exec-2');
  }, 'job-d');
  expect(spans).toEqual([
    { state: 'schedulerPaused', startMs: 1000, endMs: 3000 },
    { state: 'mixedVersions', startMs: 5000, startNote: '4 services' },
  ]);
});

test('a stored mark of another version is refused, naming the state and the field', async () => {
  const message = await withRecords(async (r) => {
    await r.put(timelineKey('exec-4', 'maintenance', 'start'), { v: 2, at: 1, by: 'a/b' });
    return readTimeline(r, 'exec-4').then(() => 'read', (e: Error) => e.message);
  }, 'job-e');
  expect(message).toMatch(/timeline mark maintenance\/start of execution exec-4 is not a version 1 mark: v: /);
});
