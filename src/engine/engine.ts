/**
 * Builds the engine's dependencies from a configuration (Redis, kubeconfig, default Prometheus), for
 * `ramp worker`, `ramp server` and tests. `close()` releases every connection, safe to call twice.
 */
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { prometheusAt, Providers, type providersConfigSchema } from '../analysis/providers/registry';
import { KubeClient } from '../kube/client';
import type { CompiledPlan } from '../plan/compile';
import { EngineMetrics } from '../observability/metrics';
import { PodPolicy } from '../policy/podPolicy';
import type { EngineDeps } from './deps';
import { RolloutEvents } from './events';
import { ReconcileQueue } from './queue';
import { createRedisConnection } from './redisConnection';
import { RolloutStore } from './store';
import type { NotificationsConfig } from '../notifications/config';
import { Notifications } from '../notifications/notifications';

export interface EngineConfig {
  redisUrl: string;
  /** Key prefix for every Redis key (tests isolate with it). Default 'ramp'. */
  prefix?: string;
  queueName?: string;
  kubeconfig?: string;
  /** The operator's metric providers, by name (a providers file, or the chart's values). */
  providers?: z.input<typeof providersConfigSchema>;
  /** Shorthand for one provider, `prometheus` at this URL (used when `providers` is absent). */
  prometheusUrl?: string;
  logger: Logger;
  metrics?: EngineMetrics;
  clock?: () => number;
  /** The operator's pod policy. Default: baseline everywhere, no service account but `default`. */
  podPolicy?: PodPolicy;
  /** The operator's notifiers (webhooks, Slack); none by default. */
  notifications?: NotificationsConfig;
}

export interface Engine {
  deps: EngineDeps;
  config: EngineConfig;
  /** A connection for BullMQ workers (they block on it). */
  workerConnection(): Redis;
  close(): Promise<void>;
}

export function createEngine(config: EngineConfig): Engine {
  const connection = createRedisConnection(config.redisUrl, { name: 'ramp-engine' });
  const extra: Redis[] = [];
  const metrics = config.metrics ?? new EngineMetrics();
  const kube = KubeClient.fromKubeconfig(config.kubeconfig, {
    onRequest: (verb, resource, outcome) => metrics.kubeRequests.inc({ verb, resource, outcome }),
  });
  const providers = new Providers(
    config.providers ?? (config.prometheusUrl ? prometheusAt(config.prometheusUrl) : undefined),
    {
      onRequest: (_kind, outcome) => metrics.prometheusQueries.inc({ outcome }),
      logger: config.logger,
    },
  );
  const events = new RolloutEvents({ connection, prefix: config.prefix });
  const queue = new ReconcileQueue({ connection, prefix: config.prefix, name: config.queueName });
  const notifications = config.notifications
    ? new Notifications({ config: config.notifications, connection, prefix: config.prefix, logger: config.logger })
    : undefined;
  const deps: EngineDeps = {
    store: new RolloutStore({ connection, prefix: config.prefix }),
    events,
    queue,
    kube,
    provider: (plan: CompiledPlan) => providers.get(plan.analysis.provider, plan.namespace),
    podPolicy: config.podPolicy ?? new PodPolicy(),
    clock: config.clock ?? Date.now,
    logger: config.logger,
    metrics,
    ...(notifications ? { notifications } : {}),
  };
  let closing: Promise<void> | undefined;
  return {
    deps,
    config,
    workerConnection() {
      const c = createRedisConnection(config.redisUrl, { name: 'ramp-worker' });
      extra.push(c);
      return c;
    },
    close() {
      closing ??= (async () => {
        for (const step of [
          () => queue.close(),
          async () => notifications?.close(),
          () => events.close(),
          async () => kube.close(),
          async () => connection.disconnect(),
          async () => extra.forEach((c) => c.disconnect()),
        ]) {
          try {
            await step();
          } catch (err) {
            config.logger.warn({ err }, 'engine close step failed');
          }
        }
      })();
      return closing;
    },
  };
}
