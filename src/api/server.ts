/**
 * The API over HTTP: listens, and on close stops taking connections, ends every open event stream
 * (clients reconnect with Last-Event-ID elsewhere), lets requests in flight finish for a while, then
 * cuts what is left. `close()` is safe to call twice.
 */
import { ClosedError } from '../errors';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type ApiOptions } from './app';
import { SseRegistry } from './sse';

export type ApiServerState = 'idle' | 'listening' | 'closing' | 'closed';

export interface ApiServerOptions extends ApiOptions {
  /** How long close() lets requests in flight finish before cutting their connections (ms). Default 10 s. */
  drainMs?: number;
}

/** An HTTP server for the rollout API. */
export class RampApiServer {
  private readonly server: Server;
  private readonly streams: SseRegistry;
  private readonly drainMs: number;
  private stateValue: ApiServerState = 'idle';
  private closing?: Promise<void>;

  constructor(opts: ApiServerOptions) {
    this.streams = opts.streams ?? new SseRegistry();
    this.drainMs = opts.drainMs ?? 10_000;
    this.server = createServer(createApp({ ...opts, streams: this.streams }));
    // Slow-loris protection; event streams are long-lived responses, not slow requests, so they are unaffected.
    this.server.headersTimeout = 20_000;
    this.server.requestTimeout = 60_000;
    this.server.keepAliveTimeout = 5_000;
  }

  get state(): ApiServerState {
    return this.stateValue;
  }

  /** Open event streams right now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Listens on `port` (0: any free port) and `host`; resolves with the base URL. */
  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    if (this.stateValue !== 'idle') throw new ClosedError(`RampApiServer (${this.stateValue})`);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.stateValue = 'listening';
    return this.url;
  }

  /** The base URL, once listening. */
  get url(): string {
    const addr = this.server.address() as AddressInfo | null;
    if (!addr) throw new ClosedError('RampApiServer (not listening)');
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `http://${host}:${addr.port}`;
  }

  /** Stops serving: event streams end now, other requests get `drainMs` to finish. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasListening = this.stateValue === 'listening';
      this.stateValue = 'closing';
      if (wasListening) {
        const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
        this.streams.closeAll();
        this.server.closeIdleConnections();
        const cut = setTimeout(() => this.server.closeAllConnections(), this.drainMs);
        cut.unref();
        await closed;
        clearTimeout(cut);
      } else {
        this.streams.closeAll();
      }
      this.stateValue = 'closed';
    })();
    return this.closing;
  }
}
