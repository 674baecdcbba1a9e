/**
 * The kubelet's own HTTPS server, as far as the API server needs it: `GET /containerLogs/{ns}/{pod}/
 * {container}` (what kube-apiserver calls for `kubectl logs`, with follow, tailLines, timestamps,
 * limitBytes and previous) and `/healthz`. Clients must show a certificate signed by the cluster CA —
 * kube-apiserver's `--kubelet-client-certificate`. Errors are plain text, as the kubelet answers.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pod } from 'kubernetes-types/core/v1';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import type { KubeObject } from '../apiServer/types';
import type { ClusterApi } from '../cluster/clusterApi';
import type { Kubelet } from './kubelet';

export interface KubeletServerOptions {
  kubelet: Kubelet;
  cluster: ClusterApi;
  host: string;
  port?: number;
  tls: { cert: string; key: string; clientCa: string };
}

export type KubeletServerState = 'new' | 'listening' | 'closed';

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export class KubeletServer {
  state: KubeletServerState = 'new';
  private server: Server | undefined;

  constructor(private readonly opts: KubeletServerOptions) {}

  /** Listens; resolves with the port. */
  async listen(): Promise<number> {
    const server = createServer(
      {
        cert: this.opts.tls.cert,
        key: this.opts.tls.key,
        ca: this.opts.tls.clientCa,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => void this.handle(req, res),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.state = 'listening';
    return (server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet.invalid');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const [namespace, name, container] = m.slice(1).map(decodeURIComponent);
    try {
      const pod = this.opts.kubelet.podByName(namespace, name) ?? (await this.fetchPod(namespace, name));
      const q = url.searchParams;
      const stream = this.opts.kubelet.open(pod as KubeObject, {
        container,
        follow: q.get('follow') === 'true',
        previous: q.get('previous') === 'true',
        timestamps: q.get('timestamps') === 'true',
        tailLines: intParam(q, 'tailLines'),
        limitBytes: intParam(q, 'limitBytes'),
      });
      res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
      req.on('close', () => stream.destroy());
      stream.on('error', () => res.end());
      stream.pipe(res);
    } catch (e) {
      const code = e instanceof StatusError ? e.code : 500;
      res.writeHead(code, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
    }
  }

  private async fetchPod(namespace: string, name: string): Promise<Pod> {
    const pod = await this.opts.cluster.get(resource('pods'), namespace, name);
    if (!pod) throw new StatusError('NotFound', `pod "${name}" not found`);
    return pod as Pod;
  }

  /** Stops listening and ends open log streams. Safe twice. */
  close(): Promise<void> {
    const server = this.server;
    this.state = 'closed';
    if (!server) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
