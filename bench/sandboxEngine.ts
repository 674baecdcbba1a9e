/** The engine every sandbox benchmark runs: the sandbox's Redis, cluster and Prometheus, silent. */
import { createEngine, type Engine, type EngineConfig } from '../src/engine/engine';
import { silentLogger } from '../src/observability/logger';
import type { Sandbox } from '@ramp/sandbox';

/** An engine on `sb` whose keys and queue are named by `prefix`; `extra` adds metrics, notifications… */
export function sandboxEngine(
  sb: Sandbox,
  prefix: string,
  extra: Partial<Omit<EngineConfig, 'redisUrl' | 'prefix' | 'queueName'>> = {},
): Engine {
  return createEngine({
    redisUrl: sb.urls.redis ?? '',
    prefix,
    queueName: prefix,
    kubeconfig: sb.kubeconfigPath,
    prometheusUrl: sb.urls.prometheus,
    logger: silentLogger(),
    ...extra,
  });
}
