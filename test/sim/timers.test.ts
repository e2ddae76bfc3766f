/**
 * The rehearsal's timers (sim/timers.ts): waits side by side take as long as the longest, not
 * their sum; they fire in due order; a cleared timer never fires; nothing fires while a simulated
 * service is serving a request.
 */
import { FakeClock } from '../../sim/aws';
import { SimTimers, STUCK_MS } from '../../sim/timers';

const START = new FakeClock().now;

test('two waits side by side: the clock moves to the later one, each resumes at its own due time', async () => {
  const clock = new FakeClock();
  const timers = new SimTimers(clock);
  const resumed: [string, number][] = [];
  const wait = async (name: string, ms: number, times: number) => {
    for (let i = 0; i < times; i++) {
      await timers.sleep(ms);
      resumed.push([name, clock.now - START]);
    }
  };
  await Promise.all([wait('poll', 5000, 4), wait('continuation', 30_000, 1)]);
  expect(clock.now - START).toBe(30_000);
  expect(resumed).toEqual([
    ['poll', 5000],
    ['poll', 10_000],
    ['poll', 15_000],
    ['poll', 20_000],
    ['continuation', 30_000],
  ]);
});

test('a cleared timer never fires and never moves the clock; equal delays fire in the order set', async () => {
  const clock = new FakeClock();
  const timers = new SimTimers(clock);
  const fired: string[] = [];
  const timeout = timers.setTimeout(() => fired.push('timeout'), 10_000);
  timers.setTimeout(() => fired.push('a'), 1000);
  timers.setTimeout(() => fired.push('b'), 1000);
  timers.clearTimeout(timeout);
  await timers.sleep(2000);
  expect(fired).toEqual(['a', 'b']);
  expect(clock.now - START).toBe(2000);
  expect(timers.pending).toBe(0);
});

test('the clock never goes back: a timer due before an advance fires at the clock', async () => {
  const clock = new FakeClock();
  const timers = new SimTimers(clock);
  const done = timers.sleep(1000);
  clock.advance(60_000);
  await done;
  expect(clock.now - START).toBe(60_000);
});

test('nothing fires while a service serves a request, and only after the grace of quiet', async () => {
  const clock = new FakeClock();
  const timers = new SimTimers(clock, 20);
  const service = { inFlight: 1, lastAt: performance.now() };
  timers.watch(() => service);
  let fired = false;
  timers.setTimeout(() => (fired = true), 5000);
  await new Promise((resolve) => setTimeout(resolve, 80));
  expect(fired).toBe(false);
  expect(clock.now).toBe(START);
  Object.assign(service, { inFlight: 0, lastAt: performance.now() });
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(fired).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(fired).toBe(true);
  expect(clock.now - START).toBe(5000);
});

test('an invocation at work (no timer of its own pending) holds time, however long it takes; once it waits, the others\' timers fire', async () => {
  const clock = new FakeClock();
  const timers = new SimTimers(clock);
  let fired = false;
  timers.setTimeout(() => (fired = true), 5000);
  let seenAtWork: number | undefined;
  await timers.run(async () => {
    // Working in real time (a slow poll on a busy machine), setting no timer.
    await new Promise((resolve) => setTimeout(resolve, 100));
    seenAtWork = clock.now;
    expect(fired).toBe(false);
    await timers.sleep(10_000);
  });
  expect(seenAtWork).toBe(START);
  expect(fired).toBe(true);
  expect(clock.now - START).toBe(10_000);
});

test('a request that never gets an answer does not stop time: after STUCK_MS the timers go on (the handler\'s request timeout fires)', async () => {
  const clock = new FakeClock();
  const timers = new SimTimers(clock);
  const since = performance.now() - STUCK_MS - 1;
  timers.watch(() => ({ inFlight: 1, lastAt: since }));
  let fired = false;
  timers.setTimeout(() => (fired = true), 10_000);
  await new Promise((resolve) => setTimeout(resolve, 80));
  timers.stop();
  expect(fired).toBe(true);
  expect(clock.now - START).toBe(10_000);
});

test('stop drops the timers not fired yet', async () => {
  const clock = new FakeClock();
  const timers = new SimTimers(clock);
  let fired = false;
  timers.setTimeout(() => (fired = true), 1000);
  timers.stop();
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(fired).toBe(false);
  expect(timers.pending).toBe(0);
  expect(clock.now).toBe(START);
});
