/**
 * The engine on a sandbox for integration tests: the sandbox (kubelet, gateway, Prometheus) on the
 * control plane under test (the jest project's: home-made or the real kube-apiserver), the test run's
 * Redis under a key prefix and queue of this test's own, an engine and one in-process worker.
 */
import type { NotificationsConfig } from '../../src/notifications/config';
import { demoPlanInput } from '../../src/cli/demoPlan';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { demoAppMainPath, ensureNamespace, resource, Sandbox, waitFor } from '@ramp/sandbox';
import { controlPlaneUnderTest } from '../../packages/sandbox/test/helpers/controlPlane';
import { createEngine, type Engine } from '../../src/engine/engine';
import { RampWorker } from '../../src/engine/worker';
import type { EngineDeps } from '../../src/engine/deps';
import type { Phase, RolloutRecord } from '../../src/engine/record';
import { silentLogger } from '../../src/observability/logger';
import { validatePlan } from '../../src/plan/parse';
import type { Plan } from '../../src/plan/schema';
import { testRedisUrl } from './redis';

export interface EngineHarness {
  sb: Sandbox;
  engine: Engine;
  deps: EngineDeps;
  worker: RampWorker;
  prefix: string;
  queueName: string;
  close(): Promise<void>;
}

export function requireBuild(): void {
  if (!existsSync(demoAppMainPath())) {
    throw new Error('the compiled sandbox is missing: run `npm run build` (npm test does) before the engine tests');
  }
}

export async function startEngineHarness(
  name: string,
  opts: { worker?: boolean; notifications?: NotificationsConfig; scrapeIntervalSeconds?: number } = {},
): Promise<EngineHarness> {
  requireBuild();
  const dir = mkdtempSync(join(tmpdir(), `ramp-${name}-`));
  const sb = await Sandbox.start({
    dir,
    controlPlane: controlPlaneUnderTest(),
    redis: false,
    logger: silentLogger(),
    backoff: { initialMs: 200, maxMs: 2000 },
    ...(opts.scrapeIntervalSeconds !== undefined ? { scrapeIntervalSeconds: opts.scrapeIntervalSeconds } : {}),
  });
  const prefix = `test-${name}-${randomBytes(3).toString('hex')}`;
  const queueName = prefix;
  const engine = createEngine({
    redisUrl: testRedisUrl(),
    prefix,
    queueName,
    kubeconfig: sb.kubeconfigPath,
    prometheusUrl: sb.urls.prometheus,
    logger: silentLogger(),
    notifications: opts.notifications,
  });
  const worker = new RampWorker({
    deps: engine.deps,
    connection: engine.workerConnection(),
    prefix,
    queueName,
    lockDurationMs: 3000,
    stalledIntervalMs: 1000,
    sweepIntervalMs: 2000,
    ...(opts.notifications
      ? { notifications: { config: opts.notifications, connection: engine.workerConnection() } }
      : {}),
  });
  if (opts.worker !== false) worker.start();
  return {
    sb,
    engine,
    deps: engine.deps,
    worker,
    prefix,
    queueName,
    async close() {
      await worker.close(true);
      await engine.close();
      await sb.close();
      const redis = new Redis(testRedisUrl());
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A namespace with the HTTPRoute `checkout` (host checkout.<ns>.test) that the gatewayApi plans name. */
export async function prepareNamespace(sb: Sandbox, ns: string): Promise<string> {
  await ensureNamespace(sb.cluster, ns);
  const host = `checkout.${ns}.test`;
  await sb.cluster.create(resource('httproutes'), ns, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'checkout', namespace: ns },
    spec: {
      parentRefs: [{ name: 'sandbox' }],
      hostnames: [host],
      rules: [{ backendRefs: [{ name: 'checkout', port: 80 }] }],
    },
  });
  return host;
}

export interface PlanOptions {
  namespace: string;
  version: string;
  errorRate?: number;
  latencyMs?: number;
  replicas?: number;
  steps?: unknown[];
  metrics?: unknown[];
  router?: 'gatewayApi' | 'replicaRatio';
  progressDeadline?: string;
  analysis?: Record<string, unknown>;
  /** Readiness probes a port nothing listens on: the pods run but never become ready. */
  neverReady?: boolean;
  /** The plan's `spec.strategy` (default: the canary of `steps` and `router`). */
  strategy?: Record<string, unknown>;
  /** More environment for the demo app (EXIT_AFTER_MS makes its pods crash-loop). */
  env?: Record<string, string>;
}

/** A demo-app plan: VERSION/ERROR_RATE in the template, a gatewayApi router, an error-rate metric (threshold judge unless `metrics` says). */
export function demoPlan(o: PlanOptions): Plan {
  const input = demoPlanInput({
    namespace: o.namespace,
    version: o.version,
    replicas: o.replicas ?? 2,
    env: { ERROR_RATE: String(o.errorRate ?? 0), LATENCY_MS: String(o.latencyMs ?? 2), ...o.env },
    readinessPort: o.neverReady ? 9999 : undefined,
    router: o.router,
    steps: o.steps ?? [
      { setWeight: 10 },
      { pause: { duration: '2s' } },
      { setWeight: 50 },
      { pause: { duration: '2s' } },
    ],
    scaleDownDelay: '2s',
    // The engine tests judge error-free canaries within seconds: the threshold judge's behaviour. (The
    // sequential judge, the default, needs errors to compare or ~3,300 error-free canary requests.)
    analysis: {
      interval: '1s',
      metrics: o.metrics ?? [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 20, judge: 'threshold' } }],
      ...o.analysis,
    },
    progressDeadline: o.progressDeadline ?? '60s',
  });
  if (o.strategy) (input.spec as Record<string, unknown>).strategy = o.strategy;
  return validatePlan(input);
}

export async function waitForPhase(
  deps: EngineDeps,
  id: string,
  phases: Phase[],
  timeoutMs = 90_000,
): Promise<RolloutRecord> {
  let last: RolloutRecord | undefined;
  await waitFor(
    async () => {
      last = await deps.store.get(id);
      return !!last && phases.includes(last.phase);
    },
    `rollout ${id} to reach ${phases.join(' or ')}`,
    timeoutMs,
    100,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; it is ${last?.phase}: ${last?.message}`);
  });
  return last as RolloutRecord;
}
