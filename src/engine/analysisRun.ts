/**
 * One round of background analysis for a reconcile: when a measurement is due, measure every metric,
 * keep its measurements (bounded: the judge folds what is dropped into its carry) and cursor in the
 * record, and ask its judge. Metrics judged sequentially share the rollout's alpha equally
 * (Bonferroni), so the combined false-rollback rate stays within it.
 */
import { againstBaseline } from '../analysis/baseline';
import { MAX_MEASUREMENTS } from '../analysis/types';
import { judgeFor } from '../analysis/judges/factory';
import { measure } from '../analysis/measure';
import type { Judge, JudgeContext } from '../analysis/judge';
import type { Measurement, Verdict } from '../analysis/types';
import { combineVerdicts } from '../analysis/verdict';
import type { CompiledPlan } from '../plan/compile';
import type { BoundStrategy } from '../strategies/registry';
import { trafficKey, type Traffic } from '../strategies/traffic';
import type { AnalysisOutcome } from '../strategies/strategy';
import type { EngineDeps } from './deps';
import type { MetricState, RolloutRecord } from './record';

/**
 * The measurements to keep after `measurement` arrives: at most `limit`, the oldest folded into the
 * judge's carry as they are dropped, so the judge still decides on the whole analysis.
 */
export function keepMeasurements(
  judge: Judge,
  ctx: Omit<JudgeContext, 'carried'>,
  state: Pick<MetricState, 'measurements' | 'carry'>,
  measurement: Measurement | undefined,
  limit = MAX_MEASUREMENTS,
): Pick<MetricState, 'measurements' | 'carry'> {
  const all = measurement ? [...state.measurements, measurement] : state.measurements;
  if (all.length <= limit) return { measurements: all, carry: state.carry };
  const dropped = all.slice(0, all.length - limit);
  return { measurements: all.slice(-limit), carry: judge.fold(dropped, { ...ctx, carried: state.carry }) };
}

/**
 * How traffic is split now, as far as the engine knows: what the steps ask for and whether the router
 * confirmed it (a route set some reconciles after the step, once pods were ready, moves the share then).
 * Two looks with the same answer had steady traffic between them.
 */
export function trafficAt(target: Traffic, verified: boolean | undefined): string {
  return `${trafficKey(target)}/${verified === true ? 'verified' : '?'}`;
}

/**
 * Whether the traffic split changed since the last look. The measurement layer then marks as `shifted`
 * every window that reaches back before this look (windows span several looks when Prometheus scrapes
 * less often than Ramp looks, and each pod's part of a window starts at its own last scrape).
 */
export function trafficChanged(before: string | undefined, now: string): boolean {
  return before !== undefined && before !== now;
}

export function analysisDue(plan: CompiledPlan, strategy: BoundStrategy, record: RolloutRecord, now: number): boolean {
  return strategy.analysisActive(record) && now >= (record.analysis.lastAt ?? 0) + plan.analysis.intervalMs;
}

/** `traffic`: trafficAt() for this look. */
export async function runAnalysis(
  deps: EngineDeps,
  plan: CompiledPlan,
  strategy: BoundStrategy,
  record: RolloutRecord,
  now: number,
  traffic: string,
): Promise<{ record: RolloutRecord; outcome?: AnalysisOutcome }> {
  if (!analysisDue(plan, strategy, record, now)) return { record };
  const provider = deps.provider(plan);
  // Only sequential judges spend alpha (threshold checks give no error-rate guarantee to share).
  const spenders = plan.analysis.metrics.filter((m) => judgeFor(m).kind === 'sequential').length;
  const alpha = plan.analysis.alpha / Math.max(1, spenders);
  const metrics = { ...record.analysis.metrics };
  const verdicts: Verdict[] = [];
  const startedAt = record.analysis.startedAt ?? now;
  for (const [i, metric] of plan.analysis.metrics.entries()) {
    const state = metrics[metric.name] ?? { measurements: [] };
    const target = {
      namespace: plan.namespace,
      app: plan.app,
      canaryRevision: record.revisions.new,
      stableRevision: record.revisions.stable,
      revisionLabel: plan.analysis.revisionLabel,
      intervalMs: plan.analysis.intervalMs,
      metricIndex: i,
    };
    const measured = await measure(provider, metric, target, state.cursor, now, {
      trafficChanged: trafficChanged(record.analysis.trafficAtLastLook, traffic),
    });
    const { cursor } = measured;
    // After a switch the stable revision serves nothing: its pre-switch windows stand in (analysis/baseline.ts).
    const frozen = state.baseline && againstBaseline(measured.measurement, state.baseline);
    const measurement = frozen ? frozen.measurement : measured.measurement;
    const judge = judgeFor(metric);
    const ctx = { metric, alpha, analysisStartedAt: startedAt, now };
    const { measurements, carry } = keepMeasurements(judge, ctx, state, measurement);
    const verdict = judge.judge(measurements, { ...ctx, carried: carry });
    const kept = { ...(carry !== undefined ? { carry } : {}), ...(frozen ? { baseline: frozen.baseline } : {}) };
    metrics[metric.name] = { measurements, cursor, ...kept, verdict };
    verdicts.push(verdict);
  }
  const combined = combineVerdicts(verdicts);
  return {
    record: {
      ...record,
      analysis: { ...record.analysis, startedAt, lastAt: now, trafficAtLastLook: traffic, metrics },
    },
    outcome: { decision: combined.decision, reason: combined.reason, verdicts },
  };
}
