import type { Logger } from 'pino';
import type { MetricProvider } from '../analysis/metricProvider';
import type { KubeClient } from '../kube/client';
import type { CompiledPlan } from '../plan/compile';
import type { EngineMetrics } from '../observability/metrics';
import type { RolloutEvents } from './events';
import type { ReconcileQueue } from './queue';
import type { RolloutStore } from './store';

/** Everything a reconcile touches, passed in so the engine can be driven by tests and by `ramp worker` alike. */
export interface EngineDeps {
  store: RolloutStore;
  events: RolloutEvents;
  queue: ReconcileQueue;
  kube: KubeClient;
  /** The metric provider a plan's analysis uses (its own Prometheus, or the worker's default). */
  provider(plan: CompiledPlan): MetricProvider;
  clock(): number;
  logger: Logger;
  metrics?: EngineMetrics;
}
