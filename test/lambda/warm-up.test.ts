import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CodePipelineClient, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { defineStep } from '../../lambda/runtime/job';
import { step, warmUp } from '../../lambda/warm-up';
import type { WarmUpConfig } from '../../lib/contracts/warm-up';
import { mockedRuntime } from '../fakes/mock-runtime';

/** A real shop stand-in on loopback: /ok, /slow (headers after 1.5 s), /error (500), /hang (never answers). */
let server: http.Server;
let base: string;
let inFlight = 0;
let maxInFlight = 0;
const hits: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url!);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const end = (status: number, body = 'page') => {
      inFlight--;
      res.writeHead(status, { 'content-type': 'text/html' }).end(body);
    };
    if (req.url === '/slow') setTimeout(() => end(200), 1500);
    else if (req.url === '/error') end(500, 'boom');
    else if (req.url === '/hang') req.on('close', () => inFlight--);
    else if (req.url!.startsWith('/busy')) setTimeout(() => end(200), 200);
    else end(200);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  hits.length = 0;
  maxInFlight = 0;
});

const config = (urls: string[], over: Partial<WarmUpConfig> = {}): WarmUpConfig => ({
  v: 1,
  urls: urls.map((u) => base + u),
  concurrency: 4,
  timeoutMs: 3_000,
  // Far above a loopback answer even on a loaded machine, far below /slow.
  ttfbMs: 1_000,
  onProblem: 'fail',
  ...over,
});

describe('warmUp against a real HTTP server', () => {
  test('a fast 2xx page is fine and its first byte is measured', async () => {
    const [page] = await warmUp(config(['/ok']));
    expect(page).toEqual({ url: `${base}/ok`, status: 200, ttfbMs: expect.any(Number) });
    expect(page.ttfbMs).toBeLessThan(1_000);
  });

  test('a slow page is named with its first-byte time and the threshold', async () => {
    const [page] = await warmUp(config(['/slow']));
    expect(page.status).toBe(200);
    expect(page.ttfbMs).toBeGreaterThanOrEqual(1_490);
    expect(page.problem).toMatch(/^first byte after \d+ ms \(threshold 1000 ms\)$/);
  });

  test('a 500 page is a problem', async () => {
    const [page] = await warmUp(config(['/error']));
    expect(page).toMatchObject({ status: 500, problem: 'HTTP 500 (expected 2xx)' });
  });

  test('a page that never answers times out within the per-request limit', async () => {
    const started = Date.now();
    const [page] = await warmUp(config(['/hang'], { timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(page.problem).toBe('no complete answer within 300 ms');
    expect(page.status).toBeUndefined();
  });

  test('a refused connection names the cause', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const [page] = await warmUp({ ...config([]), urls: [`http://127.0.0.1:${port}/`] });
    expect(page.problem).toBe('request failed: ECONNREFUSED');
  });

  test('concurrency bounds the requests in flight, and every page is requested once', async () => {
    const urls = Array.from({ length: 12 }, (_, i) => `/busy/${i}`);
    const results = await warmUp(config(urls, { concurrency: 3 }));
    expect(maxInFlight).toBe(3);
    expect([...hits].sort()).toEqual([...urls].sort());
    expect(results.map((r) => r.url)).toEqual(urls.map((u) => base + u));
  });

  test('pages not started before the deadline are reported, not requested', async () => {
    const budgets = [5_000, 0];
    const results = await warmUp(config(['/ok', '/ok2'], { concurrency: 1 }), () => budgets.shift()!);
    expect(results[0].problem).toBeUndefined();
    expect(results[1].problem).toMatch(/ran out of time/);
    expect(hits).toEqual(['/ok']);
  });
});

describe('warm-up handler', () => {
  const codepipeline = mockClient(CodePipelineClient);
  const ssm = mockClient(SSMClient);
  const runtime = mockedRuntime(codepipeline);
  const context = { getRemainingTimeInMillis: () => 60_000 };
  const run = async (cfg: WarmUpConfig) => {
    ssm.on(GetParameterCommand, { Name: '/production/pipeline/warm-up' }).resolves({ Parameter: { Value: JSON.stringify(cfg) } });
    await defineStep(step, runtime.deps)(runtime.event({ id: 'job-1', params: { config: '/production/pipeline/warm-up' } }), context);
  };

  beforeEach(() => {
    codepipeline.reset();
    ssm.reset();
  });

  test('fails the job naming each bad page, after requesting every page', async () => {
    await run(config(['/ok', '/slow', '/error', '/hang'], { timeoutMs: 2_500 }));
    expect(codepipeline.commandCalls(PutJobSuccessResultCommand)).toHaveLength(0);
    const [call] = codepipeline.commandCalls(PutJobFailureResultCommand);
    const message = call.args[0].input.failureDetails!.message!;
    expect(message).toContain('3 of 4 page(s) failed the warm-up check');
    expect(message).toContain(`${base}/slow: first byte after`);
    expect(message).toContain(`${base}/error: HTTP 500 (expected 2xx)`);
    expect(message).toContain(`${base}/hang: no complete answer within 2500 ms`);
    expect(message).not.toContain(`${base}/ok:`);
    expect(hits.sort()).toEqual(['/error', '/hang', '/ok', '/slow']);
  });

  test('warn mode succeeds and still names the bad page', async () => {
    await run(config(['/ok', '/error'], { onProblem: 'warn' }));
    expect(codepipeline.commandCalls(PutJobFailureResultCommand)).toHaveLength(0);
    const [call] = codepipeline.commandCalls(PutJobSuccessResultCommand);
    expect(call.args[0].input.executionDetails!.summary).toMatch(/^WARNING \(onProblem: warn\): 1 of 2 page\(s\).*\/error: HTTP 500/);
  });

  test('all pages fine: success with the slowest first byte', async () => {
    await run(config(['/ok', '/busy/1']));
    const [call] = codepipeline.commandCalls(PutJobSuccessResultCommand);
    expect(call.args[0].input.executionDetails!.summary).toMatch(/^2 page\(s\) warmed up, all 2xx; slowest first byte \d+ ms$/);
  });

  test('a configuration of another version is a configuration error, and nothing is requested', async () => {
    await run({ ...config(['/ok']), v: 2 as 1 });
    const [call] = codepipeline.commandCalls(PutJobFailureResultCommand);
    expect(call.args[0].input.failureDetails).toMatchObject({ type: 'ConfigurationError', message: expect.stringContaining('redeploy the pipeline stack') });
    expect(hits).toEqual([]);
  });
});
