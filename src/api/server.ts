/**
 * The API over HTTP or HTTPS: listens (on loopback unless told otherwise), and on close stops taking
 * connections, ends every open event stream (clients reconnect with Last-Event-ID elsewhere), lets
 * requests in flight finish for a while, then cuts what is left. With TLS, the certificate and key are
 * read again when their files change (a renewed certificate, a rotated Secret) without a restart.
 * `close()` is safe to call twice.
 */
import { ClosedError } from '../errors';
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApp, type ApiOptions } from './app';
import { SseRegistry } from './sse';
import { YamlParser } from './yamlParser';

export type ApiServerState = 'idle' | 'listening' | 'closing' | 'closed';

/** Where the server's certificate (chain) and private key are, PEM; both read again when either changes. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** How often the files are checked for changes (ms). Default 2000. */
  watchIntervalMs?: number;
}

export interface ApiServerOptions extends ApiOptions {
  /** How long close() lets requests in flight finish before cutting their connections (ms). Default 10 s. */
  drainMs?: number;
  /** Serve HTTPS with these files. */
  tls?: TlsFiles;
}

function readTls(tls: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
}

/** An HTTP server for the rollout API. */
export class RampApiServer {
  private readonly server: Server | TlsServer;
  private readonly tls?: TlsFiles;
  private reloads = 0;
  private readonly watchers: [string, (now: Stats, before: Stats) => void][] = [];
  private readonly streams: SseRegistry;
  private readonly yaml: YamlParser;
  private readonly drainMs: number;
  private stateValue: ApiServerState = 'idle';
  private closing?: Promise<void>;

  constructor(opts: ApiServerOptions) {
    this.streams = opts.streams ?? new SseRegistry(opts.streamLimits);
    this.drainMs = opts.drainMs ?? 10_000;
    this.yaml = opts.yaml ?? new YamlParser();
    const app = createApp({ ...opts, streams: this.streams, yaml: this.yaml });
    this.tls = opts.tls;
    this.server = opts.tls ? createTlsServer(readTls(opts.tls), app) : createServer(app);
    if (opts.tls) this.watchTls(opts.tls, opts.logger);
    // Slow-loris protection; event streams are long-lived responses, not slow requests, so they are unaffected.
    this.server.headersTimeout = 20_000;
    this.server.requestTimeout = 60_000;
    this.server.keepAliveTimeout = 5_000;
  }

  get state(): ApiServerState {
    return this.stateValue;
  }

  /** How many times the certificate and key were loaded again after a change. */
  get tlsReloads(): number {
    return this.reloads;
  }

  private watchTls(tls: TlsFiles, logger: ApiOptions['logger']): void {
    const reload = (): void => {
      try {
        (this.server as TlsServer).setSecureContext(readTls(tls));
        this.reloads++;
        logger.info({ certFile: tls.certFile }, 'TLS certificate reloaded');
      } catch (err) {
        // A half-written pair (the certificate renewed, the key not yet): keep serving the old one.
        logger.warn({ err, certFile: tls.certFile, keyFile: tls.keyFile }, 'TLS certificate not reloaded');
      }
    };
    const interval = tls.watchIntervalMs ?? 2000;
    for (const f of [tls.certFile, tls.keyFile]) {
      const listener = (now: Stats, before: Stats): void => {
        if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) reload();
      };
      watchFile(f, { interval, persistent: false }, listener);
      this.watchers.push([f, listener]);
    }
  }

  /** Open event streams right now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Listens on `port` (0: any free port) and `host` (default loopback only); resolves with the base URL. */
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
    return `${this.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  }

  /** Stops serving: event streams end now, other requests get `drainMs` to finish. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const [f, listener] of this.watchers) unwatchFile(f, listener);
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
      await this.yaml.close();
      this.stateValue = 'closed';
    })();
    return this.closing;
  }
}
