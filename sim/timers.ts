/**
 * The rehearsal's timers in simulated time: one queue for every handler bundle in flight and for
 * the simulated CodePipeline, so that two actions of one stage (Deploy_Spryker_services and
 * Measure_sync_catch_up) wait side by side on one clock, as they do in AWS. A timer is due at the
 * clock's now plus its delay; the queue fires the earliest due one and moves the clock to its due
 * time (never back). Each timer moving the clock by its own delay, as a lone handler may, would
 * count two waits side by side as one after the other.
 *
 * A timer fires only once the simulation is quiet: every handler invocation running (`run`) waits
 * on a timer of its own, no request is in flight at the simulated services, and nothing fired or
 * was served for a short real grace. Until then time stands still, so a handler's poll (its
 * requests, the answers, however slow the machine) happens at one simulated instant, and a
 * request's timeout, cleared by the loopback answer, never fires. Requests are counted at the
 * simulated services (`watch`) and, for any other server (a test's own), at the client: every HTTP
 * request of this process waiting for its answer (Node's diagnostics channels).
 *
 * A clock whose advance is asynchronous (the blue/green deployments' event loop, which calls the
 * cutover hook on its way) holds the timers until it has moved; the timer fires after.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import * as diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The simulated clock the timers move (and a handler bundle's `Date` reads). */
export interface SimClock {
  readonly now: number;
  /** A clock that moves a simulation on its way (the blue/green deployments and their hooks) returns when it has. */
  advance(ms: number): void | Promise<void>;
}

/** Real milliseconds of quiet before the next timer fires. */
export const REAL_GRACE_MS = 20;
/** How often a busy simulation is looked at again. */
const BUSY_RECHECK_MS = 5;
/** A request served this long without a sign of life is stuck (a fake that never answers): the timers go on, so the handler's request timeout can fire. */
export const STUCK_MS = 2000;

/** A source of real activity the timers wait out (the simulated services' servers). */
export interface Activity {
  /** Requests being served now. */
  readonly inFlight: number;
  /** performance.now() of the last request that arrived or was answered. */
  readonly lastAt: number;
}

/** This process's HTTP requests waiting for their answer; no listener on a request changes how it behaves. */
const clientRequests = { inFlight: 0, lastAt: 0 };
let counting = false;
function countClientRequests(): Activity {
  if (!counting) {
    counting = true;
    const open = new Set<object>();
    const settle = (request: object) => {
      if (open.delete(request)) clientRequests.inFlight--;
      clientRequests.lastAt = performance.now();
    };
    diagnostics.subscribe('http.client.request.start', (message) => {
      const request = (message as { request: ClientRequest }).request;
      open.add(request);
      clientRequests.inFlight++;
      clientRequests.lastAt = performance.now();
      request.once('close', () => settle(request));
    });
    diagnostics.subscribe('http.client.response.finish', (message) => settle((message as { request: object }).request));
    diagnostics.subscribe('http.client.request.error', (message) => settle((message as { request: object }).request));
  }
  return clientRequests;
}

/** A handler invocation: it is working unless it waits on one of its timers. */
interface Task {
  timers: number;
}

interface Timer {
  readonly due: number;
  readonly fire: () => void;
  readonly task?: Task;
}

/** What setTimeout hands back inside a bundle: enough of NodeJS.Timeout for the code that holds one. */
class SimTimeout {
  constructor(readonly timer: Timer) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
}

export class SimTimers {
  private readonly queue: Timer[] = [];
  private pump?: NodeJS.Timeout;
  /** performance.now() of the last timer set or fired. */
  private lastEvent = 0;
  private readonly sources: (() => Activity)[] = [countClientRequests];
  private readonly tasks = new Set<Task>();
  private readonly current = new AsyncLocalStorage<Task>();
  /** An asynchronous advance of the clock under way: nothing fires until it is done. */
  private moving = false;

  constructor(readonly clock: SimClock, private readonly graceMs = REAL_GRACE_MS) {}

  /** The timers also wait until this source has been quiet for the grace. */
  watch(source: () => Activity): void {
    this.sources.push(source);
  }

  /** Runs a handler invocation: while it runs and sets no timer, it is working, and no timer fires. */
  async run<T>(invocation: () => Promise<T>): Promise<T> {
    const task: Task = { timers: 0 };
    this.tasks.add(task);
    try {
      return await this.current.run(task, invocation);
    } finally {
      this.tasks.delete(task);
    }
  }

  readonly setTimeout = (callback: (...args: unknown[]) => void, ms = 0, ...args: unknown[]): SimTimeout => {
    const task = this.current.getStore();
    // In the context it was set in: what the callback sets belongs to the same invocation.
    const timer: Timer = { due: this.clock.now + Math.max(0, Number(ms) || 0), fire: AsyncResource.bind(() => callback(...args)), task };
    if (task) task.timers++;
    // Sorted by due time, then by creation: equal delays fire in the order they were set.
    const at = this.queue.findIndex((t) => t.due > timer.due);
    this.queue.splice(at < 0 ? this.queue.length : at, 0, timer);
    this.lastEvent = performance.now();
    this.arm(this.graceMs);
    return new SimTimeout(timer);
  };

  readonly clearTimeout = (handle: unknown): void => {
    if (!(handle instanceof SimTimeout)) return clearTimeout(handle as NodeJS.Timeout);
    const i = this.queue.indexOf(handle.timer);
    if (i < 0) return;
    this.queue.splice(i, 1);
    if (handle.timer.task) handle.timer.task.timers--;
  };

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(() => resolve(), ms));
  }

  /** Timers not fired yet. */
  get pending(): number {
    return this.queue.length;
  }

  /** Drops every timer not fired yet (the rehearsal's end). */
  stop(): void {
    this.queue.length = 0;
    if (this.pump) clearTimeout(this.pump);
    this.pump = undefined;
  }

  private arm(ms: number): void {
    if (this.pump || !this.queue.length) return;
    this.pump = setTimeout(() => {
      this.pump = undefined;
      this.tick();
    }, ms);
  }

  private tick(): void {
    if (!this.queue.length || this.moving) return;
    const now = performance.now();
    const activity = this.sources.map((s) => s());
    const working = [...this.tasks].some((t) => t.timers === 0);
    const busy = working || activity.some((a) => a.inFlight > 0 && now - a.lastAt < STUCK_MS);
    const quietSince = Math.max(this.lastEvent, ...activity.map((a) => a.lastAt));
    const wait = busy ? BUSY_RECHECK_MS : quietSince + this.graceMs - now;
    if (wait > 0) return this.arm(Math.ceil(wait));
    const timer = this.queue.shift()!;
    if (timer.task) timer.task.timers--;
    const fire = () => {
      this.lastEvent = performance.now();
      timer.fire();
      this.arm(this.graceMs);
    };
    const moved = timer.due > this.clock.now ? this.clock.advance(timer.due - this.clock.now) : undefined;
    if (!moved) return fire();
    this.moving = true;
    // A simulator that fails to move is a bug of the simulation: left unhandled, it stops the run loudly.
    void moved.finally(() => (this.moving = false)).then(fire);
  }
}
