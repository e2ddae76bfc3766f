/**
 * What every simulated service shares: the region and account, ARNs, the error a fake API throws
 * (the server answers it as AWS's JSON error), and the controllable clock. Its own module, so the
 * fakes need not import the server (sim/aws.ts) that registers them.
 */
export const REGION = 'eu-central-1';
export const ACCOUNT = '123456789012';
export const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

export class AwsError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

export class FakeClock {
  now = Date.parse('2025-03-01T10:00:00Z');
  advance(ms: number) {
    this.now += ms;
  }
}
