/**
 * The sandbox's data plane: one HTTP listener that routes every request by HTTPRoutes (all of them
 * attached; parentRefs not checked), failing those by Ingresses (as ingress-nginx, canary annotations
 * included), failing those by a Service named in the Host header, to a ready endpoint of that Service.
 * Answers of its own: 404 no route, 500 invalid or zero-weight backends, 503 no ready endpoint, 502
 * upstream failed, 504 upstream too slow — each a short text body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterApi } from '../cluster/clusterApi';
import { Balancer } from './backends';
import { splitHostPort, type RequestFacts } from './matching';
import { ObjectCache } from './objectCache';
import { NginxBalancer } from './nginxBalancer';
import { proxyRequest, sendText, UpstreamAgents } from './proxy';
import { RouteTable } from './routeTable';
import { GatewayCounters, type GatewayStats } from './stats';

/** new → starting → listening → closing → closed (a failed start goes straight to closed). */
export type GatewayState = 'new' | 'starting' | 'listening' | 'closing' | 'closed';

/** Where the gateway listens and how long it waits for upstreams. */
export interface GatewayOptions {
  /** The cluster it routes for, read with the gateway's own credentials. */
  cluster: ClusterApi;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** No response headers from an upstream within this → 504. Default 30 s. */
  upstreamTimeoutMs?: number;
  /** Draws ingress-nginx canary weights and affinity keys, in [0, 1). Default Math.random. */
  random?: () => number;
}

function requestTarget(rawUrl: string | undefined): URL | undefined {
  const raw = rawUrl ?? '/';
  try {
    // Origin form ("/a?b") is parsed against a dummy base; "//x" must stay a path, not become a host.
    return raw.startsWith('/') ? new URL(`http://gateway.invalid${raw}`) : new URL(raw);
  } catch {
    return undefined;
  }
}

/** Routes HTTP requests to pods the way a cluster's Gateway API implementation would. */
export class Gateway {
  private stateValue: GatewayState = 'new';
  private urlValue: string | undefined;
  private server: http.Server | undefined;
  /** Settles when the start attempt has (close waits on it, so a listener is never left behind). */
  private started: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private table: RouteTable | undefined;
  private tableVersion = -1;
  private readonly cache: ObjectCache;
  private readonly balancer = new Balancer();
  private readonly nginx: NginxBalancer;
  private readonly agents = new UpstreamAgents();
  private readonly counters = new GatewayCounters();
  private readonly upstreamTimeoutMs: number;

  constructor(private readonly opts: GatewayOptions) {
    this.cache = new ObjectCache(opts.cluster);
    this.nginx = new NginxBalancer(this.balancer, opts.random);
    this.upstreamTimeoutMs = opts.upstreamTimeoutMs ?? 30_000;
  }

  get state(): GatewayState {
    return this.stateValue;
  }

  /** "http://host:port" once listening; throws before. */
  get url(): string {
    if (!this.urlValue) throw new Error(`the gateway has no URL while ${this.stateValue}`);
    return this.urlValue;
  }

  /** Starts watching the cluster and listening; resolves with the URL. */
  listen(): Promise<string> {
    if (this.stateValue !== 'new') return Promise.reject(new Error(`cannot listen: the gateway is ${this.stateValue}`));
    this.stateValue = 'starting';
    const started = this.start();
    this.started = started.then(
      () => undefined,
      () => undefined,
    );
    return started.catch(async (e: unknown) => {
      await this.close();
      throw e;
    });
  }

  private async start(): Promise<string> {
    await this.cache.start();
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.urlValue = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (this.stateValue === 'starting') this.stateValue = 'listening';
    return this.urlValue;
  }

  /** The routing table for the cluster as it is now (rebuilt only after a change). */
  routeTable(): RouteTable {
    if (!this.table || this.tableVersion !== this.cache.version) {
      this.tableVersion = this.cache.version;
      this.table = new RouteTable(this.cache.snapshot());
      this.balancer.retain(this.table.balanceKeys());
      this.agents.retain(this.table.upstreams());
    }
    return this.table;
  }

  /** Responses so far, by status code, Service and pod. */
  stats(): GatewayStats {
    return this.counters.snapshot();
  }

  resetStats(): void {
    this.counters.reset();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      this.route(req, res);
    } catch (e) {
      // A bug in routing must cost one request, not the sandbox (a throw here would end the process).
      this.counters.record(500);
      sendText(res, 500, `gateway error: ${(e as Error).message}`);
    }
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = requestTarget(req.url);
    if (!target) {
      this.counters.record(400);
      sendText(res, 400, `malformed request target "${req.url}"`);
      return;
    }
    const { host, port } = splitHostPort(req.headers.host);
    const facts: RequestFacts = {
      host,
      hostPort: port,
      path: target.pathname,
      method: req.method ?? 'GET',
      headers: req.headers,
      query: target.searchParams,
    };
    const decision = this.routeTable().decide(facts);
    if (decision.kind === 'none') {
      this.counters.record(404);
      sendText(res, 404, decision.reason);
      return;
    }
    const pick = decision.kind === 'ingress' ? this.nginx.pick(decision, facts) : this.balancer.pick(decision);
    if (pick.kind === 'invalid') {
      this.counters.record(500);
      sendText(res, 500, pick.reason);
      return;
    }
    const service = `${pick.backend.namespace}/${pick.backend.name}`;
    if (pick.kind === 'noEndpoints') {
      this.counters.record(503, service);
      sendText(res, 503, `no ready endpoints for service ${service} port ${pick.backend.port}`, {
        'x-sandbox-service': service,
      });
      return;
    }
    const ep = pick.endpoint;
    const pod = ep.podName ? `${ep.podNamespace}/${ep.podName}` : undefined;
    void proxyRequest(req, res, {
      address: ep.address,
      port: ep.port,
      agent: this.agents.get(ep.address, ep.port),
      path: `${target.pathname}${target.search}`,
      timeoutMs: this.upstreamTimeoutMs,
      responseHeaders: { 'x-sandbox-pod': ep.podName, 'x-sandbox-revision': ep.revision, 'x-sandbox-service': service },
      filters: pick.filters,
    }).then((r) => this.counters.record(r.status, service, pod));
  }

  /** Stops watching, stops listening (in-flight requests get a second to finish) and drops upstream sockets. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const errors: unknown[] = [];
    if (this.started) await this.started;
    this.stateValue = 'closing';
    try {
      this.cache.stop();
    } catch (e) {
      errors.push(e);
    }
    const server = this.server;
    if (server?.listening) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 1000);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    }
    try {
      this.agents.destroy();
    } catch (e) {
      errors.push(e);
    }
    this.stateValue = 'closed';
    if (errors.length > 0) throw new AggregateError(errors, 'the gateway did not close cleanly');
  }
}
