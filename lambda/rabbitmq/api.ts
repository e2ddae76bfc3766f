/**
 * A small client of the RabbitMQ management HTTP API (RabbitMQ's own, or Amazon MQ's over HTTPS
 * on the console endpoint), on node's fetch. Every request is bounded in time; a 5xx is retried
 * with backoff; every failure becomes a StepFailure that names the endpoint, the request and why.
 */
import { StepFailure } from '../runtime/job';

export interface ManagementApiOptions {
  /** Base URL, e.g. `https://b-1234.mq.eu-central-1.amazonaws.com` or `http://127.0.0.1:15672`. */
  readonly endpoint: string;
  readonly username: string;
  readonly password: string;
  /** Per attempt. @default 10000 */
  readonly timeoutMs?: number;
  /** Attempts for a 5xx answer. @default 3 */
  readonly attempts?: number;
  /** First backoff after a 5xx, doubled each time. @default 500 */
  readonly backoffMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const MAX_BODY_IN_MESSAGE = 500;

export class ManagementApi {
  /** scheme://host:port, for messages. */
  public readonly origin: string;
  private readonly base: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ManagementApiOptions) {
    this.base = options.endpoint.replace(/\/+$/, '');
    try {
      this.origin = new URL(this.base).origin;
    } catch {
      throw new StepFailure(`broker endpoint '${options.endpoint}' is not a URL: set broker.endpoint to the management API base URL`, 'ConfigurationError');
    }
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The longest one request can take, retries included: keep this much time before starting one. */
  public get worstCaseMs(): number {
    return this.attempts * this.timeoutMs + this.backoffMs * (2 ** (this.attempts - 1) - 1);
  }

  public async get<T>(path: string): Promise<T> {
    const text = await this.request('GET', path);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new StepFailure(`RabbitMQ management API ${this.origin} answered GET ${path} with something other than JSON (is the endpoint the management API?): ${clip(text)}`);
    }
  }

  public async put(path: string, body: unknown): Promise<void> {
    await this.request('PUT', path, body);
  }

  /** A 404 counts as done: the goal is that it is gone (a duplicate job delivery may have removed it). */
  public async delete(path: string): Promise<void> {
    await this.request('DELETE', path, undefined, 404);
  }

  private async request(method: string, path: string, body?: unknown, alsoOk?: number): Promise<string> {
    const what = `${method} ${path}`;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      try {
        // The timeout covers the body too: a broker that stalls mid-answer is as slow as one that never answers.
        const response = await fetch(this.base + path, {
          method,
          headers: { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        status = response.status;
        text = await response.text();
      } catch (err) {
        throw this.unreachable(what, err);
      }
      if ((status >= 200 && status < 300) || status === alsoOk) return text;
      if (status === 401 || status === 403) {
        throw new StepFailure(
          `RabbitMQ management API ${this.origin} refused user '${this.options.username}' (HTTP ${status}) for ${what}: ` +
            'check the username and password in the broker admin secret, and that the user has the administrator tag',
          'PermissionError',
        );
      }
      if (status >= 500 && attempt < this.attempts) {
        await this.sleep(this.backoffMs * 2 ** (attempt - 1));
        continue;
      }
      const tries = status >= 500 ? ` ${attempt} times` : '';
      throw new StepFailure(`RabbitMQ management API ${this.origin} answered HTTP ${status} to ${what}${tries}: ${clip(text)}`);
    }
  }

  private unreachable(what: string, err: unknown): StepFailure {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    const reach = `check that the broker is running and that this handler can reach ${this.origin} (endpoint, VPC subnets, security group)`;
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
      return new StepFailure(`RabbitMQ management API ${this.origin} did not answer ${what} within ${this.timeoutMs / 1000}s: ${reach}`);
    }
    const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
    return new StepFailure(`cannot reach RabbitMQ management API ${this.origin} for ${what} (${why}): ${reach}`);
  }
}

/** Path segment of a vhost or user name (`/` is `%2F`). */
export const seg = (name: string): string => encodeURIComponent(name);

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim() || '(empty body)';
  return oneLine.length <= MAX_BODY_IN_MESSAGE ? oneLine : `${oneLine.slice(0, MAX_BODY_IN_MESSAGE)} …`;
}
