/**
 * The traffic a canary (or gray) rollout's steps ask for while it steps: the weight, the slice of the
 * setSlice step in effect, and the sticky cookie of the last setWeight.
 */
import type { StrategyPlan } from '../strategy';
import type { Traffic } from '../traffic';
import type { CanaryConfig, CompiledSlice } from './spec';
import type { CanaryState } from './state';

/** The setSlice step in effect, if any. */
export function currentSlice(p: StrategyPlan<CanaryConfig>, state: CanaryState): CompiledSlice | undefined {
  const step = state.sliceStep === undefined ? undefined : p.config.steps[state.sliceStep];
  return step?.kind === 'setSlice' ? step : undefined;
}

/** Whether requests reach the new revision: a weight above 0 or a slice with matches. */
export function hasTraffic(p: StrategyPlan<CanaryConfig>, state: CanaryState): boolean {
  return state.weight > 0 || (currentSlice(p, state)?.matches.length ?? 0) > 0;
}

/** What the steps so far ask the router for. */
export function steppedTraffic(p: StrategyPlan<CanaryConfig>, state: CanaryState, revision: string): Traffic {
  const matches = currentSlice(p, state)?.matches ?? [];
  const sticky = state.sticky && state.weight > 0 ? { sticky: { cookie: state.sticky, value: revision } } : {};
  return { weight: state.weight, matches, ...sticky };
}
