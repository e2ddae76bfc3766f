/** The states timeline at its edges (mutation testing): rounding, note length, TTL, end notes, a mark that is no object. */
import { defineStep, type StepRecords } from '../../../lambda/runtime/job';
import { markTimeline, readTimeline, TIMELINE_TTL_SECONDS } from '../../../lambda/runtime/timeline';
import { timelineKey } from '../../../lib/contracts/timeline';
import { STEP_TABLE, type FakeAws } from '../../fakes/aws';
import { useFakeAws } from '../../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

async function withRecords<T>(body: (records: StepRecords) => Promise<T>): Promise<T> {
  let out: { value: T } | { error: unknown } | undefined;
  await defineStep({ name: 'timeline', parseParams: (p) => p, run: async (ctx) => {
    out = await body(ctx.records).then((value) => ({ value }), (error: unknown) => ({ error }));
    return { status: 'done', summary: 'ok' };
  } }, aws.deps())(aws.event({ id: 'job-t', params: {} }), aws.context());
  if (!out) throw new Error('the step did not run');
  if ('error' in out) throw out.error;
  return out.value;
}

test('a mark rounds its time, keeps 200 characters of its note, lives 30 days; end notes are read back', async () => {
  const spans = await withRecords(async (r) => {
    const at = await markTimeline(r, 'exec', { state: 'maintenance', edge: 'start', at: 1000.6, by: 'Run_install/Install', note: 'n'.repeat(250) });
    await markTimeline(r, 'exec', { state: 'maintenance', edge: 'end', at: 2000, by: 'Run_install/Install', note: 'lifted' });
    await markTimeline(r, 'exec', { state: 'syncCatchUp', edge: 'start', at: 3000, by: 'a/b', note: '' });
    return { at, spans: await readTimeline(r, 'exec') };
  });
  expect(spans).toEqual({
    at: 1001,
    spans: [
      { state: 'syncCatchUp', startMs: 3000 },
      { state: 'maintenance', startMs: 1001, endMs: 2000, startNote: 'n'.repeat(200), endNote: 'lifted' },
    ], // TIMELINE_STATES order: syncCatchUp before maintenance
  });
  const item = aws.dynamodb.records(STEP_TABLE).find((i) => i.id === `record#${timelineKey('exec', 'maintenance', 'start')}`)!;
  expect(item.expiration).toBe(Math.floor(aws.clock.now / 1000) + TIMELINE_TTL_SECONDS);
  expect(TIMELINE_TTL_SECONDS).toBe(30 * 24 * 3600);
  expect(JSON.parse(item.value as string)).toEqual({ v: 1, at: 1001, by: 'Run_install/Install', note: 'n'.repeat(200) });
});

test('an end without a start is no span; a stored mark that is no object names the mark itself', async () => {
  const out = await withRecords(async (r) => {
    await markTimeline(r, 'exec', { state: 'mixedVersions', edge: 'end', at: 5, by: 'a/b' });
    const none = await readTimeline(r, 'exec');
    await r.put(timelineKey('exec', 'preDeployHook', 'end'), 'garbage');
    await markTimeline(r, 'exec', { state: 'preDeployHook', edge: 'start', at: 1, by: 'a/b' });
    const message = await readTimeline(r, 'exec').then(() => 'read', (e: Error) => e.message);
    return { none, message };
  });
  expect(out.none).toEqual([]);
  expect(out.message).toMatch(/^timeline mark preDeployHook\/end of execution exec is not a version 1 mark: \(mark\): /);
});
