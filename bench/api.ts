/**
 * The API benchmark on the sandbox: p50/p99 latency of create, dry-run create and get under 50
 * concurrent clients, over real HTTP (keep-alive connections) to a RampApiServer. Creates are real
 * (dryRun=false) on distinct apps, so none is refused as a second active rollout; no worker runs, so
 * the numbers are the API's (validation, the cluster pre-flight reads, the Redis writes and the
 * enqueue), not the rollouts'.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { StaticTokenAuthenticator } from '../src/api/auth/staticTokens';
import { RampApiServer } from '../src/api/server';
import { sandboxEngine } from './sandboxEngine';
import { silentLogger } from '../src/observability/logger';
import { EngineMetrics } from '../src/observability/metrics';
import { resource, Sandbox } from '@ramp/sandbox';
import { writeResults, type BenchRow, percentile } from './report';

const NS = 'bench-api';
const CLIENTS = 50;
const TOKEN = 'bench-token-0123456789abcdef';

function plan(app: string): string {
  return JSON.stringify({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: app },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'ramp.dev/demo-app:v2',
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
      service: { name: app, port: 80, targetPort: 'http' },
      strategy: {
        canary: {
          router: { gatewayApi: { httpRoute: 'checkout' } },
          steps: [
            { setWeight: 5 },
            { pause: { duration: '5s' } },
            { setWeight: 25 },
            { analyze: { min: '30s' } },
            { setWeight: 50 },
          ],
        },
      },
      analysis: { interval: '5s', metrics: [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 20 } }] },
    },
  });
}

interface Answer {
  status: number;
  ms: number;
}

function call(agent: http.Agent, base: string, method: string, path: string, body?: string): Promise<Answer> {
  const u = new URL(path, base);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        agent,
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          ...(body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `total` requests from `CLIENTS` concurrent clients; each client sends its next request when the last one answered. */
async function load(
  total: number,
  send: (i: number) => Promise<Answer>,
  clients = CLIENTS,
): Promise<{ ms: number[]; wallMs: number; failures: Record<string, number> }> {
  const ms: number[] = [];
  const failures: Record<string, number> = {};
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) {
        const a = await send(i);
        ms.push(a.ms);
        if (a.status >= 300) failures[a.status] = (failures[a.status] ?? 0) + 1;
      }
    }),
  );
  return { ms, wallMs: performance.now() - t0, failures };
}

function rows(
  name: string,
  r: { ms: number[]; wallMs: number; failures: Record<string, number> },
  note: string,
  clients = CLIENTS,
): BenchRow[] {
  const failed = Object.values(r.failures).reduce((a, b) => a + b, 0);
  if (failed) throw new Error(`${name}: ${failed} requests failed: ${JSON.stringify(r.failures)}`);
  return [
    { metric: `${name} p50`, value: percentile(r.ms, 50), unit: 'ms', note },
    { metric: `${name} p99`, value: percentile(r.ms, 99), unit: 'ms', note },
    {
      metric: `${name} throughput`,
      value: r.ms.length / (r.wallMs / 1000),
      unit: 'req/s',
      note: `${r.ms.length} requests, ${clients} client${clients === 1 ? '' : 's'}`,
    },
  ];
}

export async function runApiBench(quick: boolean): Promise<void> {
  const n = quick ? 500 : 2000;
  const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-api-'));
  const sb = await Sandbox.start({ dir, logger: silentLogger() });
  const prefix = `bench-api-${Date.now()}`;
  const redisUrl = sb.urls.redis ?? '';
  const metrics = new EngineMetrics();
  const engine = sandboxEngine(sb, prefix, { metrics });
  const authenticator = new StaticTokenAuthenticator({
    tokens: [{ token: TOKEN, subject: 'bench', namespaces: ['*'], verbs: ['read', 'write', 'operate'] }],
  });
  const server = new RampApiServer({ deps: engine.deps, authenticator, logger: silentLogger(), metrics });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    sb.registry.ensureNamespace(NS);
    sb.registry.create(resource('httproutes'), NS, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'checkout', namespace: NS },
      spec: { hostnames: ['checkout.bench.test'], rules: [{ backendRefs: [{ name: 'checkout', port: 80 }] }] },
    });
    const base = await server.listen(0);
    const url = `/api/v1/namespaces/${NS}/rollouts`;
    await load(CLIENTS * 2, (i) => call(agent, base, 'POST', `${url}?dryRun=true`, plan(`warm-${i}`)));
    const dry = await load(n, (i) => call(agent, base, 'POST', `${url}?dryRun=true`, plan(`dry-${i}`)));
    const kubeBefore = engine.deps.kube.stats();
    const created = await load(n, (i) => call(agent, base, 'POST', url, plan(`app-${i}`)));
    const kubeAfter = engine.deps.kube.stats();
    const got = await load(n, (i) => call(agent, base, 'GET', `${url}/app-${i % n}`));
    const listed = await load(quick ? 100 : 400, () => call(agent, base, 'GET', `${url}?limit=50`));
    const kubePerCreate = (kubeAfter.total - kubeBefore.total) / n;
    // One client at a time: the latency of a create without queueing behind 49 others.
    const alone = await load(quick ? 50 : 200, (i) => call(agent, base, 'POST', url, plan(`solo-${i}`)), 1);
    writeResults(
      'api',
      [
        ...rows(
          'create (dryRun=false)',
          created,
          'distinct apps; record + event + enqueue; pre-flight reads the namespace and the HTTPRoute',
        ),
        ...rows('create, 1 client', alone, 'the same create without concurrency', 1),
        ...rows('create (dryRun=true)', dry, 'schema + cluster pre-flight, nothing written'),
        ...rows('get rollout', got, 'GET …/rollouts/{name}: latest record + its event history'),
        ...rows('list rollouts', listed, `GET …/rollouts?limit=50 in a namespace of ${n} rollouts`),
        {
          metric: 'Kubernetes requests per create',
          value: kubePerCreate,
          unit: 'requests',
          note: 'pre-flight reads (the API never writes to the cluster)',
        },
      ],
      { clients: CLIENTS, requestsPerPhase: n, keepAlive: true, worker: false },
    );
  } finally {
    agent.destroy();
    await server.close();
    await engine.deps.queue.queue.waitUntilReady().catch(() => undefined);
    await engine.close();
    const redis = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
