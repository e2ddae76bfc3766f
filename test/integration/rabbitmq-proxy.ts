/**
 * A recording proxy in front of the real broker's management API (http or https on loopback), so
 * that the integration tests see every request the handler sends and can make the network
 * misbehave around a real broker: hold an answer after the broker applied the request (a write
 * whose answer is lost), or answer in the broker's place (a proxy that echoes the request).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

export interface Seen {
  readonly method: string;
  readonly path: string;
  /** Wall-clock milliseconds the request arrived. */
  readonly at: number;
}

type Match = (method: string, path: string) => boolean;

export interface Rule {
  readonly match: Match;
  /** Forward, then keep the broker's answer this long (the client's timeout may pass first). */
  readonly holdMs?: number;
  /** Answer in the broker's place, from the request (its headers and body). */
  readonly answer?: (req: { headers: http.IncomingHttpHeaders; body: string }) => { status: number; body: string };
  /** How many requests it applies to. @default 1 */
  times?: number;
}

export class BrokerProxy {
  readonly seen: Seen[] = [];
  private readonly rules: Rule[] = [];
  private server?: http.Server;
  url = '';

  constructor(private readonly target: string) {}

  async start(tls?: { key: string; cert: string }): Promise<this> {
    const serve = (req: http.IncomingMessage, res: http.ServerResponse) => void this.serve(req, res);
    this.server = tls ? https.createServer(tls, serve) : http.createServer(serve);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  on(rule: Rule): void {
    this.rules.push({ times: 1, ...rule });
  }

  /** The requests that change something (not GET). */
  writes(): { method: string; path: string }[] {
    return this.seen.filter((r) => r.method !== 'GET').map(({ method, path }) => ({ method, path }));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '/';
    const pathname = new URL(url, 'http://x').pathname;
    this.seen.push({ method: req.method!, path: pathname, at: Date.now() });
    const rule = this.rules.find((r) => (r.times ?? 0) > 0 && r.match(req.method!, pathname));
    if (rule) rule.times = (rule.times ?? 1) - 1;
    if (rule?.answer) {
      const answer = rule.answer({ headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      return;
    }
    const upstream = await fetch(this.target + url, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
      body: body === '' ? undefined : body,
    });
    const text = await upstream.text();
    if (rule?.holdMs) await new Promise((resolve) => setTimeout(resolve, rule.holdMs).unref());
    // The client may have given up (and closed the socket) meanwhile: that is the point of holding.
    if (!res.destroyed) res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(text);
  }
}

/** A CA and a certificate it signed for 127.0.0.1, made with openssl in a temporary directory. */
export function loopbackCertificates(): { caPem: string; key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-ca-'));
  const run = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  };
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Broker Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
    return { caPem: read('ca.pem'), key: read('server.key'), cert: read('server.pem') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
