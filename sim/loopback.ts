/** An HTTP server on 127.0.0.1 (a free port), the shape every simulated service shares. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export abstract class LoopbackServer {
  private server?: Server;
  /** `http://127.0.0.1:<port>` once started. */
  url = '';
  /** Requests being served, and performance.now() of the last one that arrived or was answered (the rehearsal's timers wait for quiet, sim/timers.ts). */
  readonly activity = { inFlight: 0, lastAt: 0 };

  protected abstract serve(req: IncomingMessage, res: ServerResponse): Promise<void>;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.activity.inFlight++;
      this.activity.lastAt = performance.now();
      res.once('close', () => {
        this.activity.inFlight--;
        this.activity.lastAt = performance.now();
      });
      void this.serve(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
