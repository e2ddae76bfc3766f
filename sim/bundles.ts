/**
 * Loads a step handler as the package ships it (dist/handlers/<step>/index.js, the file Lambda
 * runs) with the simulated clock in place of the wall clock: inside the bundle `Date` reads the
 * clock, and `setTimeout`/`clearTimeout` (the handlers' timers: their waits between polls, and
 * request timeouts) are the rehearsal's timers in simulated time (sim/timers.ts), which move the
 * clock instead of waiting. Everything else (the AWS SDK, fetch, the network) is the real thing,
 * pointed at the simulator by the environment (AWS_ENDPOINT_URL), as Lambda's is at AWS. The SDK
 * is the simulator's own (sim/sdk.ts), as Lambda's runtime provides its own.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { CodePipelineEvent } from 'aws-lambda';
import { SDK_MODULES } from './sdk';
import { SimTimers, type SimClock } from './timers';

export type { SimClock } from './timers';

/** What the rehearsal passes to a handler as the Lambda context. */
export interface SimLambdaContext {
  getRemainingTimeInMillis(): number;
  readonly functionName: string;
  readonly invokedFunctionArn: string;
}

export type SimHandler = (event: CodePipelineEvent, context: SimLambdaContext) => Promise<void>;

/** A `Date` whose "now" is the simulated clock's; every other use is Date's own. */
export function clockDate(clock: SimClock): DateConstructor {
  class SimDate extends Date {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(clock.now);
      else super(...(args as [string | number | Date]));
    }
    static now(): number {
      return clock.now;
    }
  }
  return SimDate as DateConstructor;
}

/** The lines a handler logs (console.log/warn/error), kept for the failure summary and `--verbose`. */
export interface HandlerLog {
  readonly lines: { readonly handler: string; readonly level: 'log' | 'warn' | 'error'; readonly text: string }[];
  /** Called for each line as it is logged (e.g. to print it). */
  onLine?: (line: HandlerLog['lines'][number]) => void;
}

/**
 * The `handler` export of a handler bundle, evaluated once per call in the current realm with
 * the clock's Date and the timers' setTimeout and clearTimeout in scope (the module wrapper's
 * parameters shadow the globals), and a console that collects the handler's log lines. Bundles
 * that run side by side share one `timers`.
 */
export function loadHandler(file: string, clock: SimClock, log: HandlerLog, timers = new SimTimers(clock)): SimHandler {
  const name = path.basename(path.dirname(file));
  const source = fs.readFileSync(file, 'utf8');
  // `process` too: the caller's, whose environment the rehearsal set (under jest it is not the realm's global).
  const params = ['exports', 'require', 'module', '__filename', '__dirname', 'Date', 'setTimeout', 'clearTimeout', 'console', 'process'];
  const fn = vm.compileFunction(source, params, { filename: file });
  const module = { exports: {} as { handler?: SimHandler } };
  const say = (level: 'log' | 'warn' | 'error') => (...args: unknown[]) => {
    const line = { handler: name, level, text: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') };
    log.lines.push(line);
    log.onLine?.(line);
  };
  const console = { log: say('log'), info: say('log'), debug: say('log'), warn: say('warn'), error: say('error') };
  const realRequire = createRequire(file);
  const require = (id: string): unknown => {
    if (id in SDK_MODULES) return SDK_MODULES[id];
    if (id.startsWith('@aws-sdk/')) throw new Error(`${file} requires ${id}, which the rehearsal does not provide: add it to sim/sdk.ts`);
    return realRequire(id);
  };
  fn(module.exports, require, module, file, path.dirname(file), clockDate(clock), timers.setTimeout, timers.clearTimeout, console, process);
  const handler = module.exports.handler;
  if (typeof handler !== 'function') throw new Error(`${file} exports no handler: rebuild the handler bundles (npm run bundle)`);
  return handler;
}
