/** Warm_up's contracts (lib/contracts/warm-up.ts). */
import { WarmUpConfig, WarmUpParams } from '../../lib/contracts/warm-up';
import { problems } from './problems';

test('the configuration parses as the stack writes it; every broken field by path', () => {
  const config: WarmUpConfig = { v: 1, urls: ['https://shop.example/'], concurrency: 4, timeoutMs: 10_000, ttfbMs: 3_000, onProblem: 'fail' };
  expect(WarmUpConfig.parse(config)).toEqual(config);
  expect(problems(WarmUpConfig, { ...config, urls: ['https://shop.example/', 3], concurrency: 0, timeoutMs: 2.5, onProblem: 'ignore' })).toEqual([
    'urls[1]: expected string, got number',
    'concurrency: expected at least 1',
    'timeoutMs: expected integer, got number',
    'onProblem: expected one of "fail", "warn"',
  ]);
});

test('UserParameters: the configuration parameter only', () => {
  expect(WarmUpParams.parse({ config: '/production/pipeline/warm-up' })).toEqual({ config: '/production/pipeline/warm-up' });
  expect(problems(WarmUpParams, { urls: [] })).toEqual(['config: required', 'urls: unknown field']);
});
