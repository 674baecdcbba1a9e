/**
 * The API for tests: an engine on the test run's Redis under a prefix of its own, and the express app
 * (or RampApiServer) on it with a known set of tokens. Without a kubeconfig the engine points at a
 * Kubernetes API that does not answer: fine for every route that never reaches the cluster.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type express from 'express';
import Redis from 'ioredis';
import { createApp, type ApiOptions } from '../../../src/api/app';
import { StaticTokenAuthenticator } from '../../../src/api/auth/staticTokens';
import { RampApiServer } from '../../../src/api/server';
import { SseRegistry } from '../../../src/api/sse';
import { createEngine, type Engine } from '../../../src/engine/engine';
import type { EngineDeps } from '../../../src/engine/deps';
import { EngineMetrics } from '../../../src/observability/metrics';
import { silentLogger } from '../../../src/observability/logger';
import { testRedisUrl } from '../../helpers/redis';

/** Tokens the harness grants: everything; namespace `a` only; read-only everywhere; read+operate everywhere. */
export const TOKENS = {
  admin: 'admin-token-000000000000',
  teamA: 'team-a-token-00000000000',
  reader: 'reader-token-00000000000',
  operator: 'operator-token-000000000',
} as const;

export const TOKEN_FILE = {
  tokens: [
    { token: TOKENS.admin, subject: 'admin', namespaces: ['*'], verbs: ['read', 'write', 'operate'] },
    { token: TOKENS.teamA, subject: 'team-a', namespaces: ['a'], verbs: ['read', 'write', 'operate'] },
    { token: TOKENS.reader, subject: 'reader', namespaces: ['*'], verbs: ['read'] },
    { token: TOKENS.operator, subject: 'operator', namespaces: ['*'], verbs: ['read', 'operate'] },
  ],
};

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A kubeconfig whose API server refuses connections (port 1): reaching the cluster fails fast. */
export function unreachableKubeconfig(dir: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: nowhere, cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true } }]',
      'users: [{ name: nobody, user: { token: nothing } }]',
      'contexts: [{ name: nowhere, context: { cluster: nowhere, user: nobody } }]',
      'current-context: nowhere',
    ].join('\n'),
  );
  return path;
}

export interface ApiHarness {
  app: express.Express;
  engine: Engine;
  deps: EngineDeps;
  metrics: EngineMetrics;
  streams: SseRegistry;
  prefix: string;
  /** Builds another app on the same engine with other options. */
  makeApp(more?: Partial<ApiOptions>): express.Express;
  /** A RampApiServer on the same engine, listening on a free port. */
  startServer(more?: Partial<ApiOptions> & { drainMs?: number }): Promise<{ server: RampApiServer; url: string }>;
  close(): Promise<void>;
}

export interface ApiHarnessOptions {
  /** An existing engine (e.g. from the engine harness); the harness then does not close it. */
  deps?: EngineDeps;
  kubeconfig?: string;
  prometheusUrl?: string;
  api?: Partial<ApiOptions>;
  /** Default: the test run's Redis. */
  redisUrl?: string;
}

export async function startApi(name: string, opts: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), `ramp-api-${name}-`));
  const prefix = `test-api-${name}-${randomBytes(3).toString('hex')}`;
  const redisUrl = opts.redisUrl ?? testRedisUrl();
  const engine = opts.deps
    ? undefined
    : createEngine({
        redisUrl,
        prefix,
        queueName: prefix,
        kubeconfig: opts.kubeconfig ?? unreachableKubeconfig(dir),
        prometheusUrl: opts.prometheusUrl,
        logger: silentLogger(),
      });
  const deps = opts.deps ?? (engine as Engine).deps;
  const metrics = new EngineMetrics();
  const streams = new SseRegistry();
  const authenticator = new StaticTokenAuthenticator(TOKEN_FILE);
  const servers: RampApiServer[] = [];
  const base: ApiOptions = { deps, authenticator, logger: silentLogger(), metrics, streams, ...opts.api };
  const makeApp = (more: Partial<ApiOptions> = {}) => createApp({ ...base, ...more });
  return {
    app: makeApp(),
    engine: engine as Engine,
    deps,
    metrics,
    streams,
    prefix,
    makeApp,
    async startServer(more = {}) {
      const server = new RampApiServer({ ...base, streams: new SseRegistry(more.streamLimits), ...more });
      servers.push(server);
      return { server, url: await server.listen(0) };
    },
    async close() {
      for (const s of servers) await s.close();
      streams.closeAll();
      if (engine) {
        // Closing the queue while BullMQ still sets up its connection surfaces as an unhandled error.
        await engine.deps.queue.queue.waitUntilReady();
        await engine.close();
        const redis = new Redis(redisUrl);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
