/**
 * How many pods each revision gets for a canary weight. Behind a router that splits by weight the
 * canary gets enough pods to serve its share and stable keeps all of its own. Without one (traffic
 * follows the share of ready pods) the canary gets the most pods whose share stays within the weight,
 * and stable gives up exactly as many — only once the canary's are ready.
 */
import type { StrategyPlan } from '../strategy';
import { currentSlice, hasTraffic } from './slice';
import type { CanaryConfig } from './spec';
import type { CanaryState } from './state';

/** Pods of `replicas` whose share is at most `weight` percent (traffic follows pods). */
export function podsForWeight(replicas: number, weight: number): number {
  return Math.floor((replicas * weight) / 100 + 1e-9);
}

/** The share, in percent to one decimal, of `pods` out of `replicas`. */
export function shareOf(pods: number, replicas: number): number {
  return replicas === 0 ? 0 : Math.round((pods / replicas) * 1000) / 10;
}

/** Whether traffic follows the share of ready pods (no router). */
export function podsMode(p: StrategyPlan<CanaryConfig>): boolean {
  return p.capabilities.weights === 'pods';
}

/**
 * Pods the canary should have for its weight (or its setCanaryScale override). A gray slice counts as its
 * share of users; a slice of matches alone (a beta header) gets one pod at least.
 */
export function canaryPods(p: StrategyPlan<CanaryConfig>, state: CanaryState): number {
  const replicas = p.plan.replicas;
  if (podsMode(p)) return podsForWeight(replicas, state.weight);
  const scale = state.canaryScale;
  if (scale?.replicas !== undefined) return scale.replicas;
  const w = Math.max(scale?.weight ?? state.weight, currentSlice(p, state)?.usersPercent ?? 0);
  if (w > 0) return Math.min(replicas, Math.max(1, Math.ceil((replicas * w) / 100)));
  return hasTraffic(p, state) ? 1 : 0;
}

/** Pods the stable revision keeps while the canary runs: all of them behind a router, the rest without one. */
export function stablePods(p: StrategyPlan<CanaryConfig>, state: CanaryState): number {
  const replicas = p.plan.replicas;
  return podsMode(p) ? replicas - Math.min(replicas, canaryPods(p, state)) : replicas;
}

/**
 * The canary's pods for now, without a router: its target, but never so many that its share of ready
 * pods would exceed the weight next to the stable pods ready now (a step that lowers the weight, or
 * stable pods that are not ready, cut it until stable has its pods back).
 */
export function canaryPodsNow(p: StrategyPlan<CanaryConfig>, state: CanaryState, stableReady: number): number {
  const target = canaryPods(p, state);
  const w = state.weight;
  if (!podsMode(p) || w <= 0 || w >= 100) return target;
  return Math.min(target, Math.floor((stableReady * w) / (100 - w) + 1e-9));
}
