/**
 * A small client of the RabbitMQ management HTTP API (RabbitMQ's own, or Amazon MQ's over HTTPS
 * on the console endpoint), on node's http/https (an https agent can then trust a private CA).
 * Every request is bounded in time, by its own timeout and by the caller's remaining budget; a
 * 5xx is retried with backoff while the budget allows; every failure becomes a
 * ManagementApiError that names the endpoint, the request and why, with bodies redacted, and
 * says whether a write may have been applied.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { StepFailure, type StepFailureType } from '../runtime/job';

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
  /**
   * PEM certificate(s) of the CA that signed an https broker's certificate. They replace Node's
   * public roots for this client: the broker's certificate must chain to them.
   * @default - Node's public roots
   */
  readonly caCertificate?: string;
  /**
   * Milliseconds the caller can still spend on requests (e.g. the Lambda's remaining time minus a
   * reserve): no attempt's timeout, and no retry's backoff, goes beyond it.
   * @default - unbounded: timeoutMs and attempts alone bound a request
   */
  readonly budgetMs?: () => number;
  /** Values never quoted in a message (the declared users' passwords); the admin's credentials always are redacted. @default [] */
  readonly secrets?: readonly string[];
}

/**
 * Whether a failed request may have changed the broker: `not-sent` (no time left, or no
 * connection), `refused` (the broker answered with an error), `unknown` (sent, and then no
 * complete answer: it may have been applied).
 */
export type RequestOutcome = 'not-sent' | 'refused' | 'unknown';

export class ManagementApiError extends StepFailure {
  constructor(
    message: string,
    failureType: StepFailureType,
    readonly outcome: RequestOutcome,
    /** The timeout was shortened by the caller's budget (the broker was not given its full time). */
    readonly cutShort = false,
  ) {
    super(message, failureType);
    this.name = 'ManagementApiError';
  }
}

/** Below this, an attempt is not started: it could not finish, and its outcome would be unknown. */
export const MIN_ATTEMPT_MS = 500;
const MAX_BODY_IN_MESSAGE = 500;
/** Errors of connecting (DNS, TCP, TLS): nothing reached the broker. */
const NOT_SENT = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_\w+)$/;
const TLS_TRUST = /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE/;

class RequestTimeout extends Error {
  constructor() {
    super('timeout');
    this.name = 'TimeoutError';
  }
}

export class ManagementApi {
  /** scheme://host:port, for messages. */
  public readonly origin: string;
  private readonly base: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly secrets: string[];

  constructor(private readonly options: ManagementApiOptions) {
    this.base = options.endpoint.replace(/\/+$/, '');
    let protocol: string;
    try {
      ({ origin: this.origin, protocol } = new URL(this.base));
    } catch {
      throw new StepFailure(`broker endpoint '${options.endpoint}' is not a URL: set broker.endpoint to the management API base URL`, 'ConfigurationError');
    }
    this.authorization = Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.secrets = [options.password, `${options.username}:${options.password}`, this.authorization, ...(options.secrets ?? [])];
    // One connection for the invocation's requests (TLS handshakes add up on a large plan).
    this.transport = protocol === 'https:' ? https : http;
    this.agent = protocol === 'https:' ? new https.Agent({ keepAlive: true, ca: options.caCertificate }) : new http.Agent({ keepAlive: true });
  }

  /** The longest one request can take, retries included, when no budget shortens it. */
  public get worstCaseMs(): number {
    return this.attempts * this.timeoutMs + this.backoffMs * (2 ** (this.attempts - 1) - 1);
  }

  public async get<T>(path: string): Promise<T> {
    return this.json<T>(path, (await this.request('GET', path))!);
  }

  private json<T>(path: string, text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ManagementApiError(`RabbitMQ management API ${this.origin} answered GET ${path} with something other than JSON (is the endpoint the management API?): ${this.clip(text)}`, 'JobFailed', 'refused');
    }
  }

  /** Like get, but a 404 (the vhost, user or queue is gone) is null. */
  public async getOrNull<T>(path: string): Promise<T | null> {
    const text = await this.request('GET', path, undefined, 404);
    return text === null ? null : this.json<T>(path, text);
  }

  public async put(path: string, body: unknown): Promise<void> {
    await this.request('PUT', path, body);
  }

  /** A 404 counts as done: the goal is that it is gone (a duplicate job delivery may have removed it). */
  public async delete(path: string): Promise<void> {
    await this.request('DELETE', path, undefined, 404);
  }

  /** Closes the kept-alive connections (the end of an invocation). */
  public close(): void {
    this.agent.destroy();
  }

  /** The text with every secret this client knows, and anything shaped like a password, replaced. */
  public redact(text: string): string {
    return redact(text, this.secrets);
  }

  /** The answer's body; null for `alsoOk` (a 404 that means done). */
  private async request(method: string, path: string, body?: unknown, alsoOk?: number): Promise<string | null> {
    const what = `${method} ${path}`;
    let resent = false;
    for (let attempt = 1; ; attempt++) {
      const budget = this.options.budgetMs?.() ?? Infinity;
      if (budget < MIN_ATTEMPT_MS) {
        throw new ManagementApiError(`no time left in this invocation for ${what} to ${this.origin}`, 'JobFailed', 'not-sent', true);
      }
      const timeoutMs = Math.min(this.timeoutMs, budget);
      let status: number;
      let text: string;
      try {
        ({ status, text } = await this.send(method, path, body, timeoutMs));
      } catch (err) {
        // A kept-alive connection the broker closed just as this request went out (node's http docs):
        // every request here is idempotent (GET, PUT of a whole state, DELETE), so it is sent once more.
        if ((err as { reusedSocket?: boolean }).reusedSocket && (err as { code?: string }).code === 'ECONNRESET' && !resent) {
          resent = true;
          attempt--;
          continue;
        }
        throw this.unreachable(what, err, timeoutMs);
      }
      if (status >= 200 && status < 300) return text;
      if (status === alsoOk) return null;
      if (status === 401 || status === 403) {
        throw new ManagementApiError(
          `RabbitMQ management API ${this.origin} refused user '${this.options.username}' (HTTP ${status}) for ${what}: ` +
            'check the username and password in the broker admin secret, and that the user has the administrator tag',
          'PermissionError',
          'refused',
        );
      }
      const backoff = this.backoffMs * 2 ** (attempt - 1);
      if (status >= 500 && attempt < this.attempts && (this.options.budgetMs?.() ?? Infinity) >= backoff + MIN_ATTEMPT_MS) {
        await this.sleep(backoff);
        continue;
      }
      const tries = status >= 500 && attempt > 1 ? ` ${attempt} times` : '';
      throw new ManagementApiError(`RabbitMQ management API ${this.origin} answered HTTP ${status} to ${what}${tries}: ${this.clip(text)}`, 'JobFailed', 'refused');
    }
  }

  /** One attempt; the timeout covers the body too: a broker that stalls mid-answer is as slow as one that never answers. */
  private send(method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    return new Promise((resolve, reject) => {
      const req = this.transport.request(this.base + path, {
        method,
        agent: this.agent,
        headers: {
          authorization: `Basic ${this.authorization}`,
          accept: 'application/json',
          ...(payload && { 'content-type': 'application/json', 'content-length': payload.length }),
        },
      });
      const timer = setTimeout(() => req.destroy(new RequestTimeout()), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(Object.assign(err, { reusedSocket: req.reusedSocket }));
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(payload);
    });
  }

  private unreachable(what: string, err: unknown, timeoutMs: number): ManagementApiError {
    const e = err as { name?: string; code?: string; message?: string };
    const reach = `check that the broker is running and that this handler can reach ${this.origin} (endpoint, VPC subnets, security group)`;
    if (e?.name === 'TimeoutError') {
      const cutShort = timeoutMs < this.timeoutMs;
      return new ManagementApiError(
        `RabbitMQ management API ${this.origin} did not answer ${what} within ${timeoutMs / 1000}s${cutShort ? " (all the invocation's time left)" : ''}: ${reach}`,
        'JobFailed',
        'unknown',
        cutShort,
      );
    }
    const why = e?.code ?? e?.message ?? String(err);
    if (TLS_TRUST.test(why)) {
      const trust = this.options.caCertificate ? 'broker.caCertificate does not include the CA that signed it' : 'set broker.caCertificate to the PEM of the CA that signed it';
      return new ManagementApiError(`cannot reach RabbitMQ management API ${this.origin} for ${what} (${why}): the broker's certificate is not trusted: ${trust}`, 'ConfigurationError', 'not-sent');
    }
    return new ManagementApiError(`cannot reach RabbitMQ management API ${this.origin} for ${what} (${why}): ${reach}`, 'JobFailed', NOT_SENT.test(why) ? 'not-sent' : 'unknown');
  }

  private clip(text: string): string {
    // Redacted before clipping: a cut must not leave half a password behind.
    const oneLine = this.redact(text).replace(/\s+/g, ' ').trim() || '(empty body)';
    return oneLine.length <= MAX_BODY_IN_MESSAGE ? oneLine : `${oneLine.slice(0, MAX_BODY_IN_MESSAGE)} …`;
  }
}

/** Path segment of a vhost or user name (`/` is `%2F`). */
export const seg = (name: string): string => encodeURIComponent(name);

const REDACTED = '[redacted]';

/**
 * Replaces each secret (as is, JSON-escaped and URL-encoded, as a proxy echoing a request would
 * show it) and anything shaped like a password field or an Authorization header.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set(secrets.filter((s) => s !== '').flatMap((s) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]));
  let out = text;
  // Longest first: a password that contains another one is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(REDACTED);
  return out
    .replace(/(["']?password(?:_hash)?["']?\s*[:=]\s*)(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}]+)/gi, `$1${REDACTED}`)
    .replace(/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+/g, `$1 ${REDACTED}`);
}
