/** The canary's progress, strategy-neutral: its steps, the traffic asked for and observed, revisions by role. */
import type { ProgressView } from '../progress';
import { revisionsView, stepState } from '../progress';
import type { StrategyPlan, StrategyRecord } from '../strategy';
import { describeMatch } from '../traffic';
import { podsMode } from './pods';
import { canaryTraffic } from './cluster';
import { describeStep, type CanaryConfig } from './spec';
import type { CanaryState } from './state';

type R = StrategyRecord<CanaryState>;

/** What the cluster last showed: the canary's share of ready pods (no router), or the router's verification. */
function actualTraffic(p: StrategyPlan<CanaryConfig>, record: R): ProgressView['traffic']['actual'] {
  const cluster = record.cluster;
  if (!cluster) return undefined;
  if (!podsMode(p)) return { source: 'router', verified: cluster.trafficVerified };
  const ready = (rev: string | undefined) => cluster.revisions.find((r) => r.revision === rev)?.ready ?? 0;
  const stable = record.revisions.stable === record.revisions.new ? 0 : ready(record.revisions.stable);
  const canary = ready(record.revisions.new);
  const total = stable + canary;
  return { source: 'pods', weight: total === 0 ? undefined : Math.round((canary / total) * 1000) / 10 };
}

/** The canary's progress view (`record` absent: a plan not started, as `ramp lint` shows it). */
export function describeCanary(p: StrategyPlan<CanaryConfig>, record: R | undefined): ProgressView {
  const steps = p.config.steps;
  const current = record?.strategy.stepIndex ?? 0;
  const allDone = record !== undefined && (record.phase === 'Succeeded' || record.phase === 'Promoting');
  const started = record !== undefined && !record.firstDeploy && record.phase !== 'Pending';
  const target = record ? canaryTraffic(p, record) : { weight: 0, matches: [] };
  return {
    strategy: 'canary',
    newRole: 'canary',
    steps: steps.map((s, index) => ({
      index,
      description: describeStep(s),
      state: stepState(index, current, allDone, started),
    })),
    stepIndex: allDone ? steps.length : current,
    traffic: {
      target: { weight: target.weight, matches: target.matches.map(describeMatch) },
      actual: record && actualTraffic(p, record),
    },
    revisions: record ? revisionsView(record, 'canary') : [],
  };
}
