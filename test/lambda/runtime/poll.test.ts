import { pollWhileTimeRemains } from '../../../lambda/runtime/poll';

function clock(budgetMs: number) {
  let now = 0;
  const waits: number[] = [];
  return { waits, ctx: { remainingMs: () => budgetMs - now, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) } };
}

test('waits grow 5 s → 15 s, and the last continue goes back before the reserve is touched', async () => {
  const { waits, ctx } = clock(120_000);
  let checks = 0;
  const result = await pollWhileTimeRemains(ctx, async () => ({ status: 'continue', state: ++checks, summary: `check ${checks}` }));
  expect(waits.slice(0, 4)).toEqual([5000, 7500, 11250, 15000]);
  expect(Math.max(...waits)).toBe(15_000);
  expect(result).toEqual({ status: 'continue', state: checks, summary: `check ${checks}` });
  // Stopped with at least one wait plus the 15 s reserve left, and not much more.
  const spent = waits.reduce((a, b) => a + b, 0);
  expect(120_000 - spent).toBeGreaterThanOrEqual(15_000);
  expect(120_000 - spent).toBeLessThan(15_000 + 15_000);
});

test('done ends the polling at once', async () => {
  const { waits, ctx } = clock(120_000);
  let checks = 0;
  const result = await pollWhileTimeRemains(ctx, async () => (++checks < 3 ? { status: 'continue', state: checks, summary: '' } : { status: 'done', summary: 'ok' }));
  expect(result).toEqual({ status: 'done', summary: 'ok' });
  expect(waits).toEqual([5000, 7500]);
});
