/**
 * What a committed blue-green record asks of the cluster — the old revision at full size throughout, the
 * new one at the preview's size and then full size, which revision each Service selects (the switch is
 * the stable Service's selector, written once), the preview's header match — and when to look again. A
 * rollback points every Service back at the old revision, and the new one loses its pods only once the
 * cluster shows the Services back.
 */
import { isTerminal } from '../../engine/phase';
import { revisionState } from '../lifecycle';
import { STABLE_ONLY, type Traffic } from '../traffic';
import type { DesiredState, StrategyObserved, StrategyPlan, StrategyRecord } from '../strategy';
import type { BlueGreenConfig } from './spec';
import type { BlueGreenState } from './state';
import { previewPods, promoting, stepIndexOf, switched } from './steps';

type P = StrategyPlan<BlueGreenConfig>;
type R = StrategyRecord<BlueGreenState>;

/** How soon to look again while the cluster converges (pods, Services). */
export const CONVERGE_POLL_MS = 1000;

/** Whether the preview is being judged or waits for promotion: its test traffic is routed to it then. */
function previewLive(p: P, record: R): boolean {
  const live = record.phase === 'Progressing' || record.phase === 'Paused';
  return (
    live &&
    !record.firstDeploy &&
    record.strategy.previewReadyAt !== undefined &&
    !promoting(p, record.strategy.stepIndex)
  );
}

/** What the router should be at: the preview's header match while it is live, else everything on the stable Service. */
export function blueGreenTraffic(p: P, record: R): Traffic {
  const match = p.config.previewMatch;
  return match && previewLive(p, record) ? { weight: 0, matches: [match] } : STABLE_ONLY;
}

/**
 * The new revision's share of live traffic while it is being rolled out: all of it once the stable Service
 * was switched to it. Once promoted it is the stable revision, and the share is back to 0, as for every
 * strategy (displays show a promoted rollout's traffic as all on the new revision).
 */
export function liveShare(p: P, record: R): number {
  const after = record.phase === 'Promoting' || record.phase === 'Paused';
  return after && record.strategy.stepIndex > stepIndexOf(p, 'switch') ? 100 : 0;
}

function rolledBack(p: P, record: R, stable: string, observed: StrategyObserved): DesiredState {
  const rev = record.revisions.new;
  // Every Service back on the old revision first; the new pods go once the cluster shows it.
  const back = observed.services.stable === stable && (observed.services.preview ?? stable) === stable;
  const keep = back ? 0 : (revisionState(observed, rev)?.specReplicas ?? 0);
  return {
    services: { stable, preview: stable },
    replicaSets: [
      { revision: stable, role: 'stable', replicas: p.plan.replicas },
      { revision: rev, role: 'preview', replicas: keep, shrinkAfter: { traffic: true } },
    ],
    traffic: STABLE_ONLY,
  };
}

/** The cluster a committed blue-green record asks for. */
export function desiredBlueGreen(p: P, record: R, observed: StrategyObserved): DesiredState {
  const { stable, new: rev } = record.revisions;
  const replicas = p.plan.replicas;
  if (record.firstDeploy || (record.phase === 'Succeeded' && stable === rev))
    return {
      services: { stable: rev, preview: rev },
      replicaSets: [{ revision: rev, role: 'stable', replicas }],
      traffic: STABLE_ONLY,
    };
  if (!stable) return { services: { stable: rev, preview: rev }, replicaSets: [], traffic: STABLE_ONLY };
  if (record.phase === 'RollingBack' || record.phase === 'RolledBack' || record.phase === 'Failed')
    return rolledBack(p, record, stable, observed);
  return {
    services: { stable: switched(p, record) ? rev : stable, preview: rev },
    replicaSets: [
      { revision: stable, role: 'stable', replicas },
      { revision: rev, role: 'preview', replicas: promoting(p, record.strategy.stepIndex) ? replicas : previewPods(p) },
    ],
    traffic: blueGreenTraffic(p, record),
  };
}

/** Whether background analysis runs: on the preview from when it is ready until the promotion, and after the switch in its own step. */
export function analysisActiveBlueGreen(p: P, record: R): boolean {
  if (record.firstDeploy || p.plan.analysis.metrics.length === 0) return false;
  const index = record.strategy.stepIndex;
  if (stepIndexOf(p, 'analyze', 'pre') >= 0 && previewLive(p, record)) return true;
  const post = stepIndexOf(p, 'analyze', 'post');
  return post >= 0 && index === post && (record.phase === 'Promoting' || record.phase === 'Paused');
}

/** When the rollout needs looking at again, at the latest. */
export function nextBlueGreenWakeup(p: P, record: R, now: number): number {
  if (record.phase === 'Succeeded')
    return record.scaleDownAt !== undefined ? Math.max(now, record.scaleDownAt) : Infinity;
  if (isTerminal(record.phase)) return Infinity;
  const at: number[] = [];
  if (analysisActiveBlueGreen(p, record))
    at.push(Math.max(now, (record.analysis.lastAt ?? 0) + p.plan.analysis.intervalMs));
  if (record.progressDeadlineAt !== undefined) at.push(record.progressDeadlineAt);
  const { stepIndex, stepStartedAt, previewReadyAt, switchedAt } = record.strategy;
  const step = p.config.steps[stepIndex];
  const moving = (record.phase === 'Progressing' || record.phase === 'Promoting') && !record.firstDeploy;
  let onTimer = false;
  if (moving && step?.kind === 'analyze') {
    at.push(stepStartedAt + step.minMs);
    if (step.maxMs !== undefined) at.push(stepStartedAt + step.maxMs);
    onTimer = true;
  }
  if (moving && step?.kind === 'promote' && !step.manual) {
    at.push((previewReadyAt ?? now) + step.afterMs);
    onTimer = true;
  }
  if (moving && step?.kind === 'scaleDownDelay') {
    at.push((switchedAt ?? now) + p.config.scaleDownDelayMs);
    onTimer = true;
  }
  // Pods and Services converging are watched by polling; a timer is not.
  if (record.phase !== 'Paused' && !onTimer) at.push(now + CONVERGE_POLL_MS);
  return at.length ? Math.max(now, Math.min(...at)) : Infinity;
}
