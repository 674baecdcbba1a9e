/**
 * One round of background analysis for a reconcile: when a measurement is due, measure every metric,
 * keep its measurements (bounded) and cursor in the record, and ask its judge. Metrics judged
 * sequentially share the rollout's alpha equally (Bonferroni), so the combined false-rollback rate
 * stays within it.
 */
import { judgeFor } from '../analysis/judges/factory';
import { measure } from '../analysis/measure';
import type { Verdict } from '../analysis/types';
import { combineVerdicts } from '../analysis/verdict';
import type { CompiledPlan } from '../plan/compile';
import { analysisActive } from '../strategies/canary';
import type { AnalysisOutcome } from '../strategies/strategy';
import type { EngineDeps } from './deps';
import type { RolloutRecord } from './record';

/** Measurements kept per metric (at a 5 s interval: almost three hours). */
export const MAX_MEASUREMENTS = 2000;

export function analysisDue(plan: CompiledPlan, record: RolloutRecord, now: number): boolean {
  return analysisActive(plan, record) && now >= (record.analysis.lastAt ?? 0) + plan.analysis.intervalMs;
}

export async function runAnalysis(deps: EngineDeps, plan: CompiledPlan, record: RolloutRecord, now: number): Promise<{ record: RolloutRecord; outcome?: AnalysisOutcome }> {
  if (!analysisDue(plan, record, now)) return { record };
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
      canaryRevision: record.revisions.canary,
      stableRevision: record.revisions.stable,
      revisionLabel: plan.analysis.revisionLabel,
      intervalMs: plan.analysis.intervalMs,
      metricIndex: i,
    };
    const { measurement, cursor } = await measure(provider, metric, target, state.cursor, now);
    const measurements = measurement ? [...state.measurements, measurement].slice(-MAX_MEASUREMENTS) : state.measurements;
    const verdict = judgeFor(metric).judge(measurements, { metric, alpha, analysisStartedAt: startedAt, now });
    metrics[metric.name] = { measurements, cursor, verdict };
    verdicts.push(verdict);
  }
  const combined = combineVerdicts(verdicts);
  return {
    record: { ...record, analysis: { ...record.analysis, startedAt, lastAt: now, metrics } },
    outcome: { decision: combined.decision, reason: combined.reason, verdicts },
  };
}
