/** The rolling update's progress, strategy-neutral: its batches and gates, the new pods' share asked for and observed, revisions by role. */
import type { ProgressView } from '../progress';
import { revisionsView, stepState } from '../progress';
import type { StrategyPlan, StrategyRecord } from '../strategy';
import { rollingTraffic } from './cluster';
import { describeRollingStep, type RollingConfig } from './spec';
import type { RollingState } from './state';

type R = StrategyRecord<RollingState>;

/** The new revision's share of the ready pods, as last observed. */
function actualTraffic(record: R): ProgressView['traffic']['actual'] {
  const cluster = record.cluster;
  if (!cluster) return undefined;
  const ready = (rev: string | undefined) => cluster.revisions.find((r) => r.revision === rev)?.ready ?? 0;
  const { stable, new: rev } = record.revisions;
  const old = stable === rev ? 0 : ready(stable);
  const fresh = ready(rev);
  const total = old + fresh;
  return { source: 'pods', weight: total === 0 ? undefined : Math.round((fresh / total) * 1000) / 10 };
}

/** The rolling update's progress view (`record` absent: a plan not started, as `ramp lint` shows it). */
export function describeRolling(p: StrategyPlan<RollingConfig>, record: R | undefined): ProgressView {
  const steps = p.config.steps;
  const allDone = record?.phase === 'Succeeded';
  const current = allDone ? steps.length : (record?.strategy.stepIndex ?? 0);
  const started = record !== undefined && !record.firstDeploy && record.phase !== 'Pending';
  const target = record ? rollingTraffic(p, record) : { weight: 0, matches: [] };
  return {
    strategy: 'rolling',
    newRole: 'new',
    steps: steps.map((s, index) => ({
      index,
      description: describeRollingStep(s, p.config, p.plan.replicas),
      state: stepState(index, current, allDone, started),
    })),
    stepIndex: current,
    traffic: { target: { weight: target.weight, matches: [] }, actual: record && actualTraffic(record) },
    revisions: record ? revisionsView(record, 'canary') : [],
  };
}
