/** The operations on a rolling rollout: promote (skip the current step) or promote --full (the last batch now), and the shared ones. */
import { isTerminal } from '../../engine/phase';
import { already, commonOperation, operated, refuse } from '../lifecycle';
import type { Operation, StrategyPlan, StrategyRecord, Transition } from '../strategy';
import type { RollingConfig } from './spec';
import type { RollingState } from './state';
import { enterStep, inPhase, lastStep, startPromotion } from './steps';

type R = StrategyRecord<RollingState>;

/** The record after `op` (InvalidOperationError when it does not fit the rollout's phase). */
export function operateRolling(
  p: StrategyPlan<RollingConfig>,
  record: R,
  op: Operation,
  now: number,
): Transition<RollingState> {
  // Asked again while the last batch runs: nothing to do. A finished rollout is refused (409), as any operation on one.
  if ((op === 'promote' || op === 'promoteFull') && record.phase === 'Promoting')
    return already(record, 'it is already promoting: the last batch is under way');
  if (isTerminal(record.phase)) refuse(record, op, 'the rollout has finished');
  if (op === 'promote' || op === 'promoteFull') {
    if (record.phase === 'Pending') refuse(record, op, 'the rollout has not started yet; try again in a moment');
    if (record.phase !== 'Progressing' && record.phase !== 'Paused')
      refuse(record, op, 'only a rollout that has not started its last batch or rolling back can be promoted');
    if (record.firstDeploy) refuse(record, op, 'a first deploy has no steps');
    if (op === 'promoteFull')
      return operated(
        startPromotion(p, record, now, true),
        'promote --full: the last batch now, gates and analysis skipped',
        now,
      );
    const at = record.strategy.stepIndex;
    // An explicit promote is the human's pass: the last batch does not wait for the judge then.
    const next = at + 1 >= lastStep(p) ? startPromotion(p, record, now, false) : enterStep(p, record, at + 1, now);
    return operated(next, `promote: skipped step ${at + 1}`, now);
  }
  const t = commonOperation(record, op, now) ?? refuse(record, op, 'not an operation on a rolling update');
  return inPhase(p, t);
}
