/**
 * A RampApiServer on a fresh sandbox for the API benchmarks (api-abuse, api-fuzz): the engine on the
 * sandbox's Redis under a prefix of its own, static tokens, a namespace with the HTTPRoute the benches'
 * plans name, and one `close()` that stops the server, removes the prefix's keys and stops the sandbox
 * (Prometheus, Redis, pods) whatever failed before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { StaticTokenAuthenticator } from '../src/api/auth/staticTokens';
import { RampApiServer } from '../src/api/server';
import type { StreamLimits } from '../src/api/sse';
import { demoPlanInput } from '../src/cli/demoPlan';
import type { Engine } from '../src/engine/engine';
import { sandboxEngine } from './sandboxEngine';
import { silentLogger } from '../src/observability/logger';
import { EngineMetrics } from '../src/observability/metrics';
import { resource, Sandbox } from '@ramp/sandbox';

export interface ApiOnSandbox {
  sb: Sandbox;
  engine: Engine;
  server: RampApiServer;
  /** The server's base URL. */
  base: string;
  redisUrl: string;
  prefix: string;
  close(): Promise<void>;
}

export interface ApiOnSandboxOptions {
  /** Names the temporary directory and the Redis prefix. */
  name: string;
  /** Tokens granted every verb in every namespace. */
  tokens: readonly string[];
  /** The namespace made ready for the benches' plans. */
  namespace: string;
  /** Apps given an HTTPRoute of their name (whose backend is the Service of their name), as smallPlan needs. */
  apps: readonly string[];
  streamLimits?: StreamLimits;
}

/** Deletes every key under `prefix` (SCAN, not KEYS: the sandbox's Redis may hold other runs' keys). */
export async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Starts the sandbox, the engine and the server; on a failure half-way, stops what started. */
export async function startApiOnSandbox(opts: ApiOnSandboxOptions): Promise<ApiOnSandbox> {
  const dir = mkdtempSync(join(tmpdir(), `ramp-bench-${opts.name}-`));
  const sb = await Sandbox.start({ dir, logger: silentLogger() });
  const prefix = `bench-${opts.name}-${Date.now()}`;
  const redisUrl = sb.urls.redis ?? '';
  const metrics = new EngineMetrics();
  const engine = sandboxEngine(sb, prefix, { metrics });
  const authenticator = new StaticTokenAuthenticator({
    tokens: opts.tokens.map((token, i) => ({
      token,
      subject: `bench-${i}`,
      namespaces: ['*'],
      verbs: ['read', 'write', 'operate'],
    })),
  });
  const server = new RampApiServer({
    deps: engine.deps,
    authenticator,
    logger: silentLogger(),
    metrics,
    ...(opts.streamLimits ? { streamLimits: opts.streamLimits } : {}),
  });
  const close = async (): Promise<void> => {
    await server.close().catch(() => undefined);
    // Closing the queue while BullMQ still sets up its connection surfaces as an unhandled error.
    await engine.deps.queue.queue.waitUntilReady().catch(() => undefined);
    await engine.close().catch(() => undefined);
    await deletePrefix(redisUrl, prefix).catch(() => undefined);
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    sb.registry.ensureNamespace(opts.namespace);
    for (const app of opts.apps)
      sb.registry.create(resource('httproutes'), opts.namespace, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: app, namespace: opts.namespace },
        spec: { hostnames: [`${app}.bench.test`], rules: [{ backendRefs: [{ name: app, port: 80 }] }] },
      });
    const base = await server.listen(0);
    return { sb, engine, server, base, redisUrl, prefix, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A small canary plan for `app` (JSON) on the HTTPRoute of its name, as bench/api.ts sends. */
export function smallPlan(app: string): string {
  return JSON.stringify(
    demoPlanInput({
      app,
      version: 'v2',
      replicas: 2,
      steps: [{ setWeight: 20 }, { pause: { duration: '5s' } }, { setWeight: 50 }],
    }),
  );
}
