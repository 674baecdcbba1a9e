/**
 * A validated plan compiled once for the engine: durations in milliseconds, defaults decided, the
 * strategy's block compiled by the strategy itself, and its router looked up, so nothing downstream
 * parses the plan again.
 */
import { canaryServiceName, previewServiceName } from '../kube/names';
import { routerCapabilities } from '../kube/routers/registry';
import { strategies, type CompiledStrategy } from '../strategies/registry';
import type { RevisionRole } from '../strategies/strategy';
import { onlyEntry } from '../util/registry';
import { parseDuration } from './duration';
import type { MetricSpec, Plan } from './schema';

export interface CompiledPlan {
  namespace: string;
  app: string;
  replicas: number;
  selector: Record<string, string>;
  service: {
    name: string;
    port: number;
    targetPort?: number | string;
    /** The Service of each role: `<name>`, `<name>-canary`, `<name>-preview`. */
    names: Record<RevisionRole, string>;
  };
  strategy: CompiledStrategy;
  progressDeadlineMs: number;
  onPodFailure: 'rollback' | 'pause';
  /** Old ReplicaSets kept once a rollout has ended (src/engine/revisionHistory.ts). */
  revisionHistoryLimit: number;
  /** The Deployment to adopt when the app has no stable revision yet (spec.adopt). */
  adopt?: { deployment: string };
  analysis: {
    intervalMs: number;
    alpha: number;
    onInconclusive: 'pause' | 'rollback';
    inconclusiveAfterMs: number;
    revisionLabel?: string;
    /** The operator's metric provider the plan names; absent: the default one. */
    provider?: string;
    metrics: MetricSpec[];
  };
}

/** Milliseconds of a duration the schema already accepted. */
export function ms(d: string): number {
  const v = parseDuration(d);
  if (v === undefined) throw new Error(`not a duration: ${d} (the schema should have refused it)`);
  return v;
}

/** The Services of a plan's `service.name`, by role. */
export function serviceNames(name: string): Record<RevisionRole, string> {
  return { stable: name, canary: canaryServiceName(name), preview: previewServiceName(name) };
}

function compileStrategy(block: Record<string, unknown>): CompiledStrategy {
  const { key, value } = onlyEntry(block);
  const s = strategies.get(key);
  const router = s.router(value);
  return { key, config: s.compile(value), router, capabilities: routerCapabilities(router) };
}

export function compilePlan(plan: Plan): CompiledPlan {
  const a = plan.spec.analysis;
  return {
    namespace: plan.metadata.namespace,
    app: plan.metadata.name,
    replicas: plan.spec.replicas,
    selector: plan.spec.selector.matchLabels,
    service: {
      name: plan.spec.service.name,
      port: plan.spec.service.port,
      targetPort: plan.spec.service.targetPort,
      names: serviceNames(plan.spec.service.name),
    },
    strategy: compileStrategy(plan.spec.strategy),
    progressDeadlineMs: ms(plan.spec.progressDeadline),
    onPodFailure: plan.spec.onPodFailure,
    revisionHistoryLimit: plan.spec.revisionHistoryLimit,
    ...(plan.spec.adopt ? { adopt: { deployment: plan.spec.adopt.deployment } } : {}),
    analysis: {
      intervalMs: ms(a.interval),
      alpha: a.alpha,
      onInconclusive: a.onInconclusive,
      inconclusiveAfterMs: ms(a.inconclusiveAfter),
      revisionLabel: a.revisionLabel,
      provider: a.provider,
      metrics: a.metrics,
    },
  };
}
