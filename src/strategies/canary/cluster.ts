/**
 * What a committed canary record asks of the cluster — ReplicaSets with their shrink conditions, which
 * revision each Service selects, the traffic split — and when to look again. The order constraints keep
 * the invariants: traffic reaches only ready pods, and leaves a revision before it loses pods.
 */
import { STABLE_ONLY, weighted, type Traffic } from '../traffic';
import { keepsPrevious, podsReady, readyPods } from '../lifecycle';
import type { DesiredReplicaSet, DesiredState, StrategyObserved, StrategyPlan, StrategyRecord } from '../strategy';
import { isTerminal } from '../../engine/phase';
import { analysisActiveCanary } from './analysis';
import { canaryPods, canaryPodsNow, podsMode, stablePods } from './pods';
import { steppedTraffic } from './slice';
import { CONVERGE_POLL_MS } from './steps';
import type { CanaryConfig } from './spec';
import type { CanaryState } from './state';

type P = StrategyPlan<CanaryConfig>;
type R = StrategyRecord<CanaryState>;

/** What the router should be at for this record: the steps' weight while stepping, the promotion's stage, 0 otherwise. */
export function canaryTraffic(p: P, record: R): Traffic {
  switch (record.phase) {
    case 'Progressing':
    case 'Paused':
      return record.firstDeploy ? STABLE_ONLY : steppedTraffic(p, record.strategy, record.revisions.new);
    case 'Promoting': {
      const stage = record.strategy.promotion?.stage ?? 'scaleUp';
      if (stage === 'shift' || stage === 'switch') return weighted(100);
      return stage === 'reset' ? STABLE_ONLY : steppedTraffic(p, record.strategy, record.revisions.new);
    }
    default:
      return STABLE_ONLY;
  }
}

/** The previous stable revision, left as it is during the scale-down delay after a promotion. */
function retained(record: R, now: number): string[] {
  return keepsPrevious(record, now) && record.revisions.previousStable ? [record.revisions.previousStable] : [];
}

function rolledBack(p: P, record: R, stable: string): DesiredReplicaSet[] {
  const rev = record.revisions.new;
  // Behind a router the traffic leaves first; without one, stable must be back at full strength before
  // the canary's pods (and so its share) go.
  const shrinkAfter = podsMode(p) ? { ready: { revision: stable, pods: p.plan.replicas } } : { traffic: true };
  return [
    { revision: stable, role: 'stable', replicas: p.plan.replicas },
    { revision: rev, role: 'canary', replicas: 0, shrinkAfter },
  ];
}

function promoting(p: P, record: R, stable: string): DesiredState {
  const rev = record.revisions.new;
  const stage = record.strategy.promotion?.stage ?? 'scaleUp';
  const switched = stage === 'switch' || stage === 'reset';
  return {
    services: podsMode(p) ? { stable: '*' } : { stable: switched ? rev : stable, canary: rev },
    replicaSets: [
      { revision: stable, role: 'stable', replicas: stablePods(p, record.strategy) },
      { revision: rev, role: 'canary', replicas: p.plan.replicas },
    ],
    traffic: stage === 'scaleUp' ? 'hold' : canaryTraffic(p, record),
  };
}

function stepping(p: P, record: R, stable: string, observed: StrategyObserved): DesiredState {
  const rev = record.revisions.new;
  const canary = canaryPods(p, record.strategy);
  const ready = podsReady(observed, rev, canary);
  // Without a router: stable gives up pods only once the canary's are ready, and the canary has no more than
  // its share of the pods ready now allows, so its share of ready pods never exceeds the step's weight.
  const stableRs: DesiredReplicaSet = podsMode(p)
    ? {
        revision: stable,
        role: 'stable',
        replicas: stablePods(p, record.strategy),
        shrinkAfter: { ready: { revision: rev, pods: canary } },
      }
    : { revision: stable, role: 'stable', replicas: p.plan.replicas };
  // Behind a router the canary loses pods only once the router sends it less; without one, at once.
  const canaryRs: DesiredReplicaSet = {
    revision: rev,
    role: 'canary',
    replicas: canaryPodsNow(p, record.strategy, readyPods(observed, stable)),
    shrinkAfter: podsMode(p) ? undefined : { traffic: true },
  };
  return {
    services: podsMode(p) ? { stable: '*' } : { stable, canary: rev },
    replicaSets: [stableRs, canaryRs],
    traffic: ready ? canaryTraffic(p, record) : 'hold',
  };
}

/** The cluster a committed canary record asks for. */
export function desiredCanary(p: P, record: R, observed: StrategyObserved, now: number): DesiredState {
  const rev = record.revisions.new;
  const stable = record.revisions.stable;
  const retain = retained(record, now);
  if (record.firstDeploy || (record.phase === 'Succeeded' && stable === rev)) {
    return {
      services: podsMode(p) ? { stable: '*' } : { stable: rev, canary: rev },
      replicaSets: [{ revision: rev, role: 'stable', replicas: p.plan.replicas }],
      traffic: STABLE_ONLY,
      retain,
    };
  }
  if (!stable)
    return {
      services: podsMode(p) ? { stable: '*' } : { stable: rev, canary: rev },
      replicaSets: [],
      traffic: STABLE_ONLY,
    };
  const services = podsMode(p) ? { stable: '*' } : { stable, canary: rev };
  if (record.phase === 'RollingBack' || record.phase === 'RolledBack' || record.phase === 'Failed')
    return { services, replicaSets: rolledBack(p, record, stable), traffic: STABLE_ONLY, retain };
  if (record.phase === 'Promoting') return { ...promoting(p, record, stable), retain };
  return { ...stepping(p, record, stable, observed), retain };
}

/** When the rollout needs looking at again, at the latest. */
export function nextCanaryWakeup(p: P, record: R, now: number): number {
  if (record.phase === 'Succeeded')
    return record.scaleDownAt !== undefined ? Math.max(now, record.scaleDownAt) : Infinity;
  if (isTerminal(record.phase)) return Infinity;
  const at: number[] = [];
  if (analysisActiveCanary(p, record))
    at.push(Math.max(now, (record.analysis.lastAt ?? 0) + p.plan.analysis.intervalMs));
  // The deadline is acted on only while the rollout moves (a pause waits for a person or for data).
  if (record.progressDeadlineAt !== undefined && record.phase !== 'Paused') at.push(record.progressDeadlineAt);
  const { stepIndex, stepStartedAt } = record.strategy;
  const step = p.config.steps[stepIndex];
  const progressing = record.phase === 'Progressing' && !record.firstDeploy;
  if (progressing && step?.kind === 'pause' && step.durationMs !== undefined) at.push(stepStartedAt + step.durationMs);
  if (progressing && step?.kind === 'analyze') {
    at.push(stepStartedAt + step.minMs);
    if (step.maxMs !== undefined) at.push(stepStartedAt + step.maxMs);
  }
  // Converging (pods, router, Services) is watched by polling; a timed wait is not.
  const waitingOnTimerOnly = progressing && step !== undefined && (step.kind === 'pause' || step.kind === 'analyze');
  if (record.phase !== 'Paused' && !waitingOnTimerOnly) at.push(now + CONVERGE_POLL_MS);
  return at.length ? Math.max(now, Math.min(...at)) : Infinity;
}
