/** The canary's progress, strategy-neutral: its steps, the traffic asked for and observed, revisions by role. */
import type { ProgressView } from '../progress';
import { revisionsView, stepState } from '../progress';
import type { StrategyPlan, StrategyRecord } from '../strategy';
import { describeMatch, STABLE_ONLY, type Traffic } from '../traffic';
import { currentSlice } from './slice';
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

/** How people read the matches asked for: a gray slice's own labels (`5% of users by header x-user-id`), not its regex. */
function matchLabels(p: StrategyPlan<CanaryConfig>, record: R | undefined, target: Traffic): string[] {
  const slice = record && currentSlice(p, record.strategy);
  const labels = slice && target.matches === slice.matches ? slice.labels : target.matches.map(describeMatch);
  return target.sticky ? [...labels, `sticky cookie ${target.sticky.cookie}`] : labels;
}

/** The canary's progress view (`record` absent: a plan not started, as `ramp lint` shows it). */
export function describeCanary(p: StrategyPlan<CanaryConfig>, record: R | undefined): ProgressView {
  const steps = p.config.steps;
  const current = record?.strategy.stepIndex ?? 0;
  const allDone = record !== undefined && (record.phase === 'Succeeded' || record.phase === 'Promoting');
  const started = record !== undefined && !record.firstDeploy && record.phase !== 'Pending';
  const target = record ? canaryTraffic(p, record) : STABLE_ONLY;
  return {
    strategy: p.config.strategy ?? 'canary',
    newRole: 'canary',
    steps: steps.map((s, index) => ({
      index,
      description: describeStep(s),
      state: stepState(index, current, allDone, started),
    })),
    stepIndex: allDone ? steps.length : current,
    traffic: {
      target: { weight: target.weight, matches: matchLabels(p, record, target) },
      actual: record && actualTraffic(p, record),
    },
    revisions: record ? revisionsView(record, 'canary') : [],
    ...(record ? waitUntil(p, record) : {}),
  };
}

/** The end of the current step's timed wait, while the rollout steps. */
function waitUntil(p: StrategyPlan<CanaryConfig>, record: R): { waitUntil?: number } {
  if (record.phase !== 'Progressing' || record.firstDeploy) return {};
  const { stepIndex, stepStartedAt } = record.strategy;
  const step = p.config.steps[stepIndex];
  if (step?.kind === 'pause' && step.durationMs !== undefined) return { waitUntil: stepStartedAt + step.durationMs };
  if (step?.kind === 'analyze' && step.minMs > 0) return { waitUntil: stepStartedAt + step.minMs };
  return {};
}
