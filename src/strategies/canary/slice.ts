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

/** The revision name planned splits carry before the new revision is known. */
export const PLANNED_REVISION = 'planned';

/** Every split the steps ask for, in order, as the steps would set them. */
export function plannedTraffic(p: StrategyPlan<CanaryConfig>): Traffic[] {
  let state: CanaryState = { kind: 'canary', stepIndex: 0, stepStartedAt: 0, weight: 0 };
  const out: Traffic[] = [];
  p.config.steps.forEach((step, i) => {
    if (step.kind === 'setWeight') state = { ...state, weight: step.weight, sticky: step.sticky };
    else if (step.kind === 'setSlice') state = { ...state, sliceStep: i };
    else return;
    out.push(steppedTraffic(p, state, PLANNED_REVISION));
  });
  return out;
}

/** What the steps so far ask the router for. */
export function steppedTraffic(p: StrategyPlan<CanaryConfig>, state: CanaryState, revision: string): Traffic {
  const matches = currentSlice(p, state)?.matches ?? [];
  const sticky = state.sticky && state.weight > 0 ? { sticky: { cookie: state.sticky, value: revision } } : {};
  return { weight: state.weight, matches, ...sticky };
}
