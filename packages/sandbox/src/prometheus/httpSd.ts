/**
 * The HTTP service-discovery endpoint Prometheus polls (`http_sd_configs`) in place of Kubernetes
 * discovery, which Debian's build lacks. Each answer is computed from the cluster's pods at request
 * time (a list of the home-made registry, or of the real API server): a list of a few hundred pods is
 * cheaper than keeping a watch-maintained cache consistent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterApi } from '../cluster/clusterApi';
import { resource } from '../apiServer/resources';
import { podTargets } from './podTargets';

export type HttpSdState = 'new' | 'listening' | 'closing' | 'closed';

export interface HttpSdServerOptions {
  cluster: ClusterApi;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

export const TARGETS_PATH = '/targets';

/** Serves GET /targets: every scrapable pod as a target group, in Prometheus' http_sd JSON format. */
export class HttpSdServer {
  private readonly cluster: ClusterApi;
  private readonly host: string;
  private readonly port: number;
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  private currentState: HttpSdState = 'new';

  constructor(opts: HttpSdServerOptions) {
    this.cluster = opts.cluster;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
  }

  get state(): HttpSdState {
    return this.currentState;
  }

  /** Starts listening; resolves with the URL of the targets endpoint (the one to put in the config). */
  async listen(): Promise<string> {
    if (this.currentState !== 'new') throw new Error(`HttpSdServer cannot listen: it is ${this.currentState}`);
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.currentState = 'listening';
    const { port } = server.address() as AddressInfo;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${port}${TARGETS_PATH}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== TARGETS_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    let body: string;
    try {
      body = JSON.stringify(podTargets(await this.cluster.list(resource('pods'))));
    } catch (e) {
      // Prometheus keeps the last good answer when discovery fails, which is the right fallback.
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(e as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Stops listening and drops Prometheus' kept-alive connections. Safe to call twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const server = this.server;
    this.currentState = 'closing';
    this.closing = (async () => {
      if (server) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      }
      this.currentState = 'closed';
    })();
    return this.closing;
  }
}
