/**
 * The operations on a blue-green rollout: promote (the current step skipped: the analysis, the wait for
 * promotion, the post-promotion analysis, the rest of the scale-down delay), promote --full (switch now
 * and skip every analysis), and the shared ones — abort included, which points every Service back at the
 * old revision at any step.
 */
import { isTerminal } from '../../engine/phase';
import { already, commonOperation, finishPromotion, operated, refuse } from '../lifecycle';
import type { Operation, StrategyPlan, StrategyRecord, Transition } from '../strategy';
import { enterStep, inPhase, startPromotion } from './decide';
import type { BlueGreenConfig } from './spec';
import type { BlueGreenState } from './state';
import { promoting } from './steps';

type P = StrategyPlan<BlueGreenConfig>;
type R = StrategyRecord<BlueGreenState>;
type T = Transition<BlueGreenState>;

function finishNow(record: R, now: number): T {
  return finishPromotion(record, now, 0, { strategy: { ...record.strategy, promotion: undefined } });
}

function promote(p: P, record: R, full: boolean, now: number): T {
  const index = record.strategy.stepIndex;
  const step = p.config.steps[index];
  if (!promoting(p, index)) {
    if (full) return startPromotion(p, record, now, true);
    if (step.kind === 'preview')
      refuse(
        record,
        'promote',
        'the preview is not ready yet: wait for it, or promote --full to switch once the new pods are',
      );
    return step.kind === 'promote' ? startPromotion(p, record, now, false) : enterStep(p, record, index + 1, now);
  }
  if (step.kind === 'fullSize' || step.kind === 'switch') {
    // Asked again while it switches: nothing to do, unless --full now skips the post-promotion analysis too.
    const switching = 'it is switching already: once the new pods are ready, the stable Service selects them';
    if (!full) return already(record, switching);
    if (record.strategy.promotion?.full) return already(record, `${switching}, with no analysis after`);
    const promotion = { ...(record.strategy.promotion ?? { since: now }), full: true };
    return { record: { ...record, strategy: { ...record.strategy, promotion } }, events: [] };
  }
  if (step.kind === 'analyze' && !full) return enterStep(p, record, index + 1, now);
  return finishNow(record, now);
}

/** The record after `op` (InvalidOperationError when it does not fit the rollout's phase). */
export function operateBlueGreen(p: P, record: R, op: Operation, now: number): T {
  if (isTerminal(record.phase)) refuse(record, op, 'the rollout has finished');
  if (op === 'promote' || op === 'promoteFull') {
    if (record.phase === 'Pending') refuse(record, op, 'the rollout has not started yet; try again in a moment');
    if (record.phase === 'RollingBack') refuse(record, op, 'it is rolling back');
    if (record.firstDeploy) refuse(record, op, 'a first deploy has no steps');
    const full = op === 'promoteFull';
    const what = full
      ? 'promote --full: switching now, analysis skipped'
      : `promote: skipped step ${record.strategy.stepIndex + 1}`;
    const t = promote(p, record, full, now);
    return t.unchanged ? t : inPhase(p, operated(t, what, now));
  }
  const t = commonOperation(record, op, now) ?? refuse(record, op, 'not an operation on a blue-green rollout');
  return inPhase(p, t);
}
