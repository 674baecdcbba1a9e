/**
 * A validated plan compiled once for the engine: durations in milliseconds, defaults decided, the
 * router and each step in a form the strategy reads without re-parsing.
 */
import { parseDuration } from './duration';
import type { MetricSpec, Plan, PrometheusProviderSpec, RouterSpec, Step } from './schema';

export type CompiledStep =
  | { kind: 'setWeight'; weight: number }
  | { kind: 'pause'; durationMs?: number }
  | { kind: 'analyze'; minMs: number; maxMs?: number }
  | { kind: 'setCanaryScale'; replicas?: number; weight?: number; matchTrafficWeight?: boolean };

export type RouterKind = 'replicaRatio' | 'gatewayApi';

export interface CompiledPlan {
  namespace: string;
  app: string;
  replicas: number;
  selector: Record<string, string>;
  service: { name: string; canaryName: string; port: number; targetPort?: number | string };
  router: { kind: RouterKind; httpRoute?: string };
  steps: CompiledStep[];
  scaleDownDelayMs: number;
  progressDeadlineMs: number;
  analysis: {
    intervalMs: number;
    alpha: number;
    onInconclusive: 'pause' | 'rollback';
    inconclusiveAfterMs: number;
    revisionLabel?: string;
    /** The plan's own Prometheus; absent: the worker's default. */
    prometheus?: PrometheusProviderSpec;
    metrics: MetricSpec[];
  };
}

function ms(d: string): number {
  const v = parseDuration(d);
  if (v === undefined) throw new Error(`not a duration: ${d} (the schema should have refused it)`);
  return v;
}

function compileStep(s: Step): CompiledStep {
  if ('setWeight' in s) return { kind: 'setWeight', weight: s.setWeight };
  if ('pause' in s)
    return { kind: 'pause', durationMs: s.pause.duration !== undefined ? ms(s.pause.duration) : undefined };
  if ('analyze' in s)
    return {
      kind: 'analyze',
      minMs: s.analyze.min ? ms(s.analyze.min) : 0,
      maxMs: s.analyze.max ? ms(s.analyze.max) : undefined,
    };
  return { kind: 'setCanaryScale', ...s.setCanaryScale };
}

function compileRouter(r: RouterSpec): CompiledPlan['router'] {
  if (r.gatewayApi) return { kind: 'gatewayApi', httpRoute: r.gatewayApi.httpRoute };
  return { kind: 'replicaRatio' };
}

export function compilePlan(plan: Plan): CompiledPlan {
  const canary = plan.spec.strategy.canary;
  if (!canary) throw new Error('only the canary strategy is available');
  const a = plan.spec.analysis;
  return {
    namespace: plan.metadata.namespace,
    app: plan.metadata.name,
    replicas: plan.spec.replicas,
    selector: plan.spec.selector.matchLabels,
    service: {
      name: plan.spec.service.name,
      canaryName: `${plan.spec.service.name}-canary`,
      port: plan.spec.service.port,
      targetPort: plan.spec.service.targetPort,
    },
    router: compileRouter(canary.router),
    steps: canary.steps.map(compileStep),
    scaleDownDelayMs: ms(canary.scaleDownDelay),
    progressDeadlineMs: ms(plan.spec.progressDeadline),
    analysis: {
      intervalMs: ms(a.interval),
      alpha: a.alpha,
      onInconclusive: a.onInconclusive,
      inconclusiveAfterMs: ms(a.inconclusiveAfter),
      revisionLabel: a.revisionLabel,
      prometheus: a.prometheus,
      metrics: a.metrics,
    },
  };
}
