/**
 * What a committed rolling record asks of the cluster — the stable Service on every revision of the app
 * (traffic follows the pods), each revision's pods for the batch with the old one's shrink held until
 * the new pods it counts on are ready — and when to look again. A rollback brings the old revision back
 * to full size, ready, before the new one loses a pod.
 */
import { isTerminal } from '../../engine/phase';
import { STABLE_ONLY, weighted, type Traffic } from '../traffic';
import type { DesiredState, StrategyObserved, StrategyPlan, StrategyRecord } from '../strategy';
import { batchShare, batchTarget, rollingPods } from './pods';
import type { RollingConfig } from './spec';
import type { RollingState } from './state';

type P = StrategyPlan<RollingConfig>;
type R = StrategyRecord<RollingState>;

/** How soon to look again while the pods converge. */
export const CONVERGE_POLL_MS = 1000;

/** The new revision's share of the pods the batch asks for (there is no router: this is what events and views show). */
export function rollingTraffic(p: P, record: R): Traffic {
  if (record.firstDeploy) return STABLE_ONLY;
  if (record.phase === 'Progressing' || record.phase === 'Paused' || record.phase === 'Promoting')
    return weighted(batchShare(p, batchTarget(p, record)));
  return STABLE_ONLY;
}

/** The cluster a committed rolling record asks for. */
export function desiredRolling(p: P, record: R, observed: StrategyObserved): DesiredState {
  const { stable, new: rev } = record.revisions;
  const replicas = p.plan.replicas;
  const services = { stable: '*' };
  if (record.firstDeploy || (record.phase === 'Succeeded' && stable === rev))
    return { services, replicaSets: [{ revision: rev, role: 'stable', replicas }], traffic: STABLE_ONLY };
  if (!stable) return { services, replicaSets: [], traffic: STABLE_ONLY };
  if (record.phase === 'RollingBack' || record.phase === 'RolledBack' || record.phase === 'Failed')
    return {
      services,
      replicaSets: [
        { revision: stable, role: 'stable', replicas },
        { revision: rev, role: 'canary', replicas: 0, shrinkAfter: { ready: { revision: stable, pods: replicas } } },
      ],
      traffic: STABLE_ONLY,
    };
  const pods = rollingPods(p, batchTarget(p, record), observed, stable, rev);
  return {
    services,
    replicaSets: [
      {
        revision: stable,
        role: 'stable',
        replicas: pods.oldPods,
        shrinkAfter: { ready: { revision: rev, pods: pods.newReady } },
      },
      { revision: rev, role: 'canary', replicas: pods.newPods },
    ],
    traffic: rollingTraffic(p, record),
  };
}

/** Whether background analysis runs: from the first new pod until the last batch. */
export function analysisActiveRolling(p: P, record: R): boolean {
  if (record.firstDeploy || p.plan.analysis.metrics.length === 0) return false;
  if (record.phase !== 'Progressing' && record.phase !== 'Paused') return false;
  return record.analysis.startedAt !== undefined;
}

/** When the rollout needs looking at again, at the latest. */
export function nextRollingWakeup(p: P, record: R, now: number): number {
  if (record.phase === 'Succeeded')
    return record.scaleDownAt !== undefined ? Math.max(now, record.scaleDownAt) : Infinity;
  if (isTerminal(record.phase)) return Infinity;
  const at: number[] = [];
  if (analysisActiveRolling(p, record))
    at.push(Math.max(now, (record.analysis.lastAt ?? 0) + p.plan.analysis.intervalMs));
  if (record.progressDeadlineAt !== undefined) at.push(record.progressDeadlineAt);
  const { stepIndex, stepStartedAt } = record.strategy;
  const step = p.config.steps[stepIndex];
  const progressing = record.phase === 'Progressing' && !record.firstDeploy;
  if (progressing && step?.kind === 'pause' && step.durationMs !== undefined) at.push(stepStartedAt + step.durationMs);
  if (progressing && step?.kind === 'analyze') {
    at.push(stepStartedAt + step.minMs);
    if (step.maxMs !== undefined) at.push(stepStartedAt + step.maxMs);
  }
  // Pods converging are watched by polling; a gate's timer is not.
  const onTimer = progressing && step !== undefined && step.kind !== 'batch';
  if (record.phase !== 'Paused' && !onTimer) at.push(now + CONVERGE_POLL_MS);
  return at.length ? Math.max(now, Math.min(...at)) : Infinity;
}
