/**
 * Real HTTP servers standing in for pods (one per 127.1.x.y loopback address), the cluster objects that
 * point the gateway at them, and a small HTTP client that can set the Host header.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from '../../../src/apiServer/registry';
import { resource } from '../../../src/apiServer/resources';
import { ObjectStore } from '../../../src/apiServer/store';
import { endpointSlice, pod, service, type EndpointSpec } from '../../unit/gateway/objects';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A pod's HTTP server: answers 200 with its name, or whatever `handler` does. */
export interface Backend {
  pod: string;
  revision: string;
  ip: string;
  port: number;
  seen: SeenRequest[];
  server: http.Server;
  /** Stops listening and cuts every connection (a crashed pod). */
  kill(): Promise<void>;
}

let nextIp = 1;

/** A fresh loopback address per backend, as the kubelet gives each pod its own IP. */
export function loopbackIp(): string {
  const n = nextIp++;
  return `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

export async function startBackend(
  podName: string,
  revision: string,
  handler?: http.RequestListener,
): Promise<Backend> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (handler) return handler(req, res);
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'x-app-version': revision });
    res.end(podName);
  });
  const ip = loopbackIp();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ip, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let killed: Promise<void> | undefined;
  const kill = (): Promise<void> => {
    killed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return killed;
  };
  return { pod: podName, revision, ip, port, seen, server, kill };
}

/** A registry with one namespace, and the backends started for it (all killed by `close`). */
export class Cluster {
  readonly registry = new Registry(new ObjectStore());
  readonly backends: Backend[] = [];

  constructor(readonly namespace = 'shop') {
    this.registry.ensureNamespace(namespace);
  }

  /**
   * A Service `name` with one pod (and one real server) per entry, each pod in its own EndpointSlice
   * (servers listen on different ports, and a slice has one port for all its endpoints).
   */
  async deploy(
    name: string,
    pods: { pod: string; revision: string; ready?: boolean; handler?: http.RequestListener }[],
  ): Promise<Backend[]> {
    this.registry.create(resource('services'), this.namespace, service(this.namespace, name));
    const started: Backend[] = [];
    for (const p of pods) {
      const b = await startBackend(p.pod, p.revision, p.handler);
      this.backends.push(b);
      started.push(b);
      this.registry.create(
        resource('pods'),
        this.namespace,
        pod(this.namespace, p.pod, { app: name, 'ramp.dev/revision': p.revision }),
      );
      this.setEndpoint(name, b, { ready: p.ready ?? true });
    }
    return started;
  }

  /** Creates or replaces the EndpointSlice of one backend. */
  setEndpoint(svc: string, b: Backend, conditions: Omit<EndpointSpec, 'ip' | 'pod'>): void {
    const sliceName = `${svc}-${b.pod}`;
    const body = endpointSlice(this.namespace, svc, sliceName, b.port, [{ ip: b.ip, pod: b.pod, ...conditions }]);
    const t = resource('endpointslices');
    if (this.registry.tryGet(t, this.namespace, sliceName)) this.registry.update(t, this.namespace, sliceName, body);
    else this.registry.create(t, this.namespace, body);
  }

  removeEndpoint(svc: string, b: Backend): void {
    this.registry.delete(resource('endpointslices'), this.namespace, `${svc}-${b.pod}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.backends.map((b) => b.kill()));
  }
}

export { request, type Answer } from '../../helpers/http';
