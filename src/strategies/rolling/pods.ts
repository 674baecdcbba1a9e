/**
 * How many pods each revision gets, the way a Deployment's rolling update moves: the new revision grows
 * towards its batch while every pod asked for stays within replicas + maxSurge, and the old one gives up
 * pods only as far as the ready pods of both stay at least replicas − maxUnavailable. Pure.
 */
import { revisionState } from '../lifecycle';
import type { StrategyObserved, StrategyPlan, StrategyRecord } from '../strategy';
import { batchPods, resolveBounds, type RollingConfig } from './spec';
import type { RollingState } from './state';

type P = StrategyPlan<RollingConfig>;

/** The batch the rollout is at: the new pods it asks for (0 before any batch; all of them while promoting). */
export function batchTarget(p: P, record: StrategyRecord<RollingState>): number {
  const replicas = p.plan.replicas;
  if (record.phase === 'Promoting') return replicas;
  const steps = p.config.steps;
  for (let i = Math.min(record.strategy.stepIndex, steps.length - 1); i >= 0; i--) {
    const step = steps[i];
    if (step.kind === 'batch') return batchPods(step.size, replicas);
  }
  return 0;
}

/** One revision's pods as observed: asked for, and ready among those (a status that lags a scale-down counts no more than spec). */
function podsOf(observed: StrategyObserved, revision: string): { spec: number; ready: number } {
  const rs = revisionState(observed, revision);
  const spec = rs?.specReplicas ?? 0;
  return { spec, ready: Math.min(rs?.readyReplicas ?? 0, spec) };
}

/** What each revision should have now, and the new pods ready that the old revision's shrink relies on. */
export interface PodPlan {
  newPods: number;
  oldPods: number;
  newReady: number;
}

/**
 * The pods for now on the way to `target` new pods. The old revision's shrink counts every pod it loses
 * as ready (the worst case: which pods go is the ReplicaSet controller's choice), so the ready pods of
 * both never drop below replicas − maxUnavailable while the pods ready now stay ready.
 */
export function rollingPods(p: P, target: number, observed: StrategyObserved, stable: string, rev: string): PodPlan {
  const replicas = p.plan.replicas;
  const { surge, unavailable } = resolveBounds(p.config, replicas);
  const n = podsOf(observed, rev);
  const o = podsOf(observed, stable);
  const newPods = Math.min(target, Math.max(n.spec, replicas + surge - o.spec));
  const canLose = Math.max(0, n.ready + o.ready - (replicas - unavailable));
  const oldPods = Math.max(replicas - target, o.spec - canLose);
  return { newPods, oldPods, newReady: n.ready };
}

/** Whether the batch is in place: `target` new pods ready, and the old revision down to the rest. */
export function batchReached(p: P, target: number, observed: StrategyObserved, stable: string, rev: string): boolean {
  const n = podsOf(observed, rev);
  return n.ready >= target && n.spec >= target && podsOf(observed, stable).spec <= p.plan.replicas - target;
}

/** The new revision's share of the pods a batch asks for, in whole percent (what events and views show). */
export function batchShare(p: P, target: number): number {
  return Math.round((100 * target) / p.plan.replicas);
}
