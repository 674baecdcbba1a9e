/**
 * Where a blue-green rollout is in its steps: the preview, its analysis, promotion (automatic or by
 * hand), the new revision at full size, the switch, the post-promotion analysis and the scale-down delay.
 * The steps from `fullSize` on are the promotion (phase Promoting); the switch is the engine applying the
 * stable Service's new selector.
 */
import type { StrategyPlan, StrategyRecord } from '../strategy';
import { describeBlueGreenStep, type BlueGreenConfig, type BlueGreenStep, type StepContext } from './spec';
import type { BlueGreenState } from './state';

type P = StrategyPlan<BlueGreenConfig>;

/** The index of the first step of `kind` (every plan has preview, promote, fullSize, switch and scaleDownDelay). */
export function stepIndexOf(p: P, kind: BlueGreenStep['kind'], when?: 'pre' | 'post'): number {
  return p.config.steps.findIndex(
    (s) => s.kind === kind && (when === undefined || (s.kind === 'analyze' && s.when === when)),
  );
}

/** Whether step `index` is part of the promotion (from the new revision at full size on). */
export function promoting(p: P, index: number): boolean {
  return index >= stepIndexOf(p, 'fullSize');
}

/** Whether the stable Service selects (or is being switched to) the new revision at this step. */
export function switched(p: P, record: StrategyRecord<BlueGreenState>): boolean {
  return record.strategy.stepIndex >= stepIndexOf(p, 'switch');
}

/** The preview's pods. */
export function previewPods(p: P): number {
  return Math.min(p.plan.replicas, p.config.previewReplicas ?? p.plan.replicas);
}

export function stepContext(p: P): StepContext {
  const { names } = p.plan.service;
  return {
    replicas: p.plan.replicas,
    previewReplicas: previewPods(p),
    services: { stable: names.stable, preview: names.preview },
    config: p.config,
  };
}

/** `step 3/7: switch checkout to the new revision (one selector write)` */
export function stepText(p: P, index: number): string {
  return `step ${index + 1}/${p.config.steps.length}: ${describeBlueGreenStep(p.config.steps[index], stepContext(p))}`;
}
