/** The operations on a canary rollout: promote (a step, or --full), and the ones every strategy shares. */
import { already, commonOperation, operated, refuse } from '../lifecycle';
import type { Operation, StrategyPlan, StrategyRecord, Transition } from '../strategy';
import { isTerminal } from '../../engine/phase';
import type { CanaryConfig } from './spec';
import type { CanaryState } from './state';
import { enterStep, startPromotion } from './steps';

type R = StrategyRecord<CanaryState>;

/** The record after `op` (InvalidOperationError when it does not fit the rollout's phase). */
export function operateCanary(
  p: StrategyPlan<CanaryConfig>,
  record: R,
  op: Operation,
  now: number,
): Transition<CanaryState> {
  // Asked again while it promotes: nothing to do. A finished rollout is refused (409), as any operation on one.
  if ((op === 'promote' || op === 'promoteFull') && record.phase === 'Promoting')
    return already(record, 'it is already promoting');
  if (isTerminal(record.phase)) refuse(record, op, 'the rollout has finished');
  if (op === 'promote') {
    if (record.phase !== 'Progressing' && record.phase !== 'Paused')
      refuse(record, op, 'only a progressing or paused rollout can be promoted a step');
    if (record.firstDeploy) refuse(record, op, 'a first deploy has no steps');
    const at = record.strategy.stepIndex;
    const next = at >= p.config.steps.length ? startPromotion(record, now, false) : enterStep(p, record, at + 1, now);
    return operated(next, `promote: skipped step ${at + 1}`, now);
  }
  if (op === 'promoteFull') {
    if (record.phase === 'Pending') refuse(record, op, 'the rollout has not started yet; try again in a moment');
    if (record.phase !== 'Progressing' && record.phase !== 'Paused')
      refuse(record, op, 'only a rollout that has not started promoting or rolling back can be promoted');
    return operated(
      startPromotion(record, now, true),
      'promote --full: skipping the remaining steps and analysis',
      now,
    );
  }
  return commonOperation(record, op, now) ?? refuse(record, op, 'not an operation on a canary');
}
