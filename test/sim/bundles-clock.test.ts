/**
 * The simulated clock inside a handler bundle (sim/bundles.ts, sim/timers.ts): a wait moves the clock at once, a
 * request's timeout does not fire while its answer is on the way (however slow the machine), a
 * cleared timer never moves the clock, and a clock whose advance is asynchronous (the blue/green
 * event loop) fires the callback only once it has moved.
 */
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadHandler, type SimClock } from '../../sim/bundles';

/** A "bundle": waits `sleepMs`, then GETs `url` with a `timeoutMs` request timeout (as lambda/rabbitmq/api.ts does). */
const BUNDLE = `
const http = require('node:http');
exports.handler = async ({ url, sleepMs, timeoutMs }) => {
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, sleepMs));
  const slept = Date.now() - t0;
  const body = await new Promise((resolve) => {
    const req = http.get(url, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => { clearTimeout(timer); resolve(b); }); });
    const timer = setTimeout(() => { req.destroy(); resolve('timed out'); }, timeoutMs);
  });
  return { slept, body, requested: Date.now() - t0 - slept };
};`;

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-clock-')), 'probe', 'index.js');
fs.mkdirSync(path.dirname(file));
fs.writeFileSync(file, BUNDLE);

let url = '';
const server = createServer((_req, res) => void setTimeout(() => res.end('answer'), 150));
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

type Probe = (event: unknown) => Promise<{ slept: number; body: string; requested: number }>;

test('a wait moves the clock by its delay; a request answered after 150 ms real (past the 20 ms grace) does not time out, and moves no clock', async () => {
  const clock = { now: 1_000_000, advance(ms: number) { this.now += ms; } };
  const probe = loadHandler(file, clock, { lines: [] }) as unknown as Probe;
  const started = Date.now();
  const out = await probe({ url, sleepMs: 5_000, timeoutMs: 10_000 });
  expect(out).toEqual({ slept: 5_000, body: 'answer', requested: 0 });
  expect(clock.now).toBe(1_005_000);
  expect(Date.now() - started).toBeLessThan(3_000);
});

test('an asynchronous advance (an event loop moving the simulation) runs before the callback', async () => {
  const moves: number[] = [];
  const clock: SimClock & { now: number } = {
    now: 0,
    advance: async (ms) => {
      await new Promise((r) => setTimeout(r, 30));
      moves.push(ms);
      clock.now += ms;
    },
  };
  const probe = loadHandler(file, clock, { lines: [] }) as unknown as Probe;
  expect(await probe({ url, sleepMs: 8_000, timeoutMs: 10_000 })).toEqual({ slept: 8_000, body: 'answer', requested: 0 });
  expect(moves).toEqual([8_000]);
});
