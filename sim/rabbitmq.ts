/**
 * A simulated RabbitMQ management HTTP API on 127.0.0.1, for the rehearsal: vhosts, users (the
 * salted SHA-256 password hash RabbitMQ stores), permissions, and queues whose depth drains over
 * the simulated clock. Speaks the requests the step handlers send (GET/PUT/DELETE of /api/vhosts,
 * /api/users, /api/permissions; GET /api/queues/{vhost}) with RabbitMQ's status codes, and refuses
 * any request without the admin's Basic credentials (401). Each request takes `latencyMs` of
 * simulated time: the clock moves on by it before the answer (a broker's writes are not free, and
 * the rabbitmqReconfiguring window is their sum). Requests side by side each move it: their
 * latencies add up where a real broker's would overlap, a few milliseconds per poll.
 */
import { LoopbackServer } from './loopback';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface User {
  readonly passwordHash: string;
  readonly tags: string[];
}

interface Permission {
  readonly user: string;
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/** A queue filled with `messages` at `filledAt`, consumed at a steady rate until `filledAt + drainMs`. */
interface Queue {
  readonly name: string;
  messages: number;
  filledAt: number;
  drainMs: number;
}

/** rabbit_password_hashing_sha256: base64(salt ‖ sha256(salt ‖ password)), a 4-byte salt. */
export function rabbitPasswordHash(password: string, salt: Buffer = randomBytes(4)): string {
  return Buffer.concat([salt, createHash('sha256').update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest()]).toString('base64');
}

export class FakeRabbitMq extends LoopbackServer {
  readonly vhosts = new Set<string>(['/']);
  readonly users = new Map<string, User>();
  /** `vhost\0user` → permission. */
  readonly permissions = new Map<string, Permission>();
  readonly queues = new Map<string, Queue[]>();
  /** Every request: `PUT /api/vhosts/eu-docker`. */
  readonly requests: string[] = [];

  constructor(
    /** `advance` is needed only with a latency. */
    private readonly clock: { readonly now: number; advance?(ms: number): void },
    private readonly admin: { readonly username: string; readonly password: string },
    private readonly options: { readonly latencyMs?: number } = {},
  ) {
    super();
    if (options.latencyMs && !clock.advance) throw new Error('FakeRabbitMq: a latency needs a clock that advances');
    this.users.set(admin.username, { passwordHash: rabbitPasswordHash(admin.password), tags: ['administrator'] });
  }

  /** Puts `messages` into a queue of a vhost now (the clock's now), drained steadily over `drainMs`. */
  fill(vhost: string, name: string, messages: number, drainMs: number, at = this.clock.now): void {
    const queues = this.queues.get(vhost) ?? [];
    this.queues.set(vhost, queues);
    const queue = queues.find((q) => q.name === name);
    if (queue) Object.assign(queue, { messages: this.depth(queue) + messages, filledAt: at, drainMs });
    else queues.push({ name, messages, filledAt: at, drainMs });
  }

  /** Messages left at the clock's now (a queue that is never consumed has drainMs Infinity). */
  depth(q: Queue): number {
    const elapsed = Math.max(0, this.clock.now - q.filledAt);
    return elapsed >= q.drainMs ? 0 : Math.ceil(q.messages * (1 - elapsed / q.drainMs));
  }

  protected async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://rabbitmq');
    const method = req.method ?? 'GET';
    // Segments are decoded one by one: the default vhost `/` travels as %2F.
    const path = url.pathname.split('/').slice(1).map(decodeURIComponent);
    this.requests.push(`${method} ${url.pathname}`);
    if (this.options.latencyMs) this.clock.advance!(this.options.latencyMs);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
    };
    if (!this.authorized(req.headers.authorization)) return send(401, { error: 'not_authorized', reason: 'Login failed' });
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return send(400, { error: 'bad_request', reason: 'invalid JSON' });
    }
    const [api, kind, a, b] = path;
    if (api !== 'api') return send(404, { error: 'Object Not Found', reason: 'Not Found' });
    const notFound = () => send(404, { error: 'Object Not Found', reason: 'Not Found' });
    switch (`${method} ${kind}${a === undefined ? '' : '/:a'}${b === undefined ? '' : '/:b'}`) {
      case 'GET vhosts':
        return send(200, [...this.vhosts].map((name) => ({ name })));
      case 'PUT vhosts/:a':
        this.vhosts.add(a);
        return send(201);
      case 'DELETE vhosts/:a':
        if (!this.vhosts.delete(a)) return notFound();
        for (const [key, p] of this.permissions) if (p.vhost === a) this.permissions.delete(key);
        this.queues.delete(a);
        return send(204);
      case 'GET users':
        return send(200, [...this.users].map(([name, u]) => ({ name, password_hash: u.passwordHash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: u.tags })));
      case 'PUT users/:a': {
        const tags = typeof body.tags === 'string' ? body.tags.split(',').filter(Boolean) : [];
        const passwordHash = typeof body.password === 'string' ? rabbitPasswordHash(body.password) : this.users.get(a)?.passwordHash;
        if (!passwordHash) return send(400, { error: 'bad_request', reason: 'password or password_hash required' });
        const existed = this.users.has(a);
        this.users.set(a, { passwordHash, tags });
        return send(existed ? 204 : 201);
      }
      case 'DELETE users/:a':
        if (!this.users.delete(a)) return notFound();
        for (const [key, p] of this.permissions) if (p.user === a) this.permissions.delete(key);
        return send(204);
      case 'GET permissions':
        return send(200, [...this.permissions.values()]);
      case 'PUT permissions/:a/:b': {
        if (!this.vhosts.has(a) || !this.users.has(b)) return send(400, { error: 'bad_request', reason: 'vhost_or_user_not_found' });
        const key = `${a}\u0000${b}`;
        const existed = this.permissions.has(key);
        this.permissions.set(key, { user: b, vhost: a, configure: String(body.configure ?? ''), write: String(body.write ?? ''), read: String(body.read ?? '') });
        return send(existed ? 204 : 201);
      }
      case 'DELETE permissions/:a/:b':
        return this.permissions.delete(`${a}\u0000${b}`) ? send(204) : notFound();
      case 'GET queues/:a':
        if (!this.vhosts.has(a)) return notFound();
        return send(
          200,
          (this.queues.get(a) ?? []).map((q) => ({ name: q.name, vhost: a, messages: this.depth(q), messages_ready: this.depth(q), messages_unacknowledged: 0 })),
        );
      default:
        return send(405, { error: 'Method Not Allowed', reason: `${method} ${url.pathname}` });
    }
  }

  private authorized(header: string | undefined): boolean {
    const [scheme, encoded] = (header ?? '').split(' ');
    if (scheme !== 'Basic' || !encoded) return false;
    const text = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    return text.slice(0, colon) === this.admin.username && text.slice(colon + 1) === this.admin.password;
  }
}
