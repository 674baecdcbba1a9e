import type { Notifications } from '../notifications/notifications';
import type { Logger } from 'pino';
import type { MetricProvider } from '../analysis/providers/metricProvider';
import type { KubeClient } from '../kube/client';
import type { CompiledPlan } from '../plan/compile';
import type { EngineMetrics } from '../observability/metrics';
import type { PodPolicy } from '../policy/podPolicy';
import type { RolloutEvents } from './events';
import type { ReconcileQueue } from './queue';
import type { RolloutStore } from './store';

/** Everything a reconcile touches, passed in so the engine can be driven by tests and by `ramp worker` alike. */
export interface EngineDeps {
  store: RolloutStore;
  events: RolloutEvents;
  queue: ReconcileQueue;
  kube: KubeClient;
  /** The operator's metric provider a plan's analysis names (or the default); PlanValidationError when there is none. */
  provider(plan: CompiledPlan): MetricProvider;
  /** The operator's pod policy: checked on plans at the API and on templates before a ReplicaSet is created. */
  podPolicy: PodPolicy;
  clock(): number;
  logger: Logger;
  metrics?: EngineMetrics;
  /** Where committed events are queued for the operator's notifiers, when there are any. */
  notifications?: Pick<Notifications, 'enqueue'>;
}
