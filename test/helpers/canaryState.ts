/** The canary's part of a record, checked (tests read the step and weight a canary rollout is at). */
import type { RolloutRecord } from '../../src/engine/record';
import { canaryStateSchema, type CanaryState } from '../../src/strategies/canary/state';

export function canaryState(record: RolloutRecord): CanaryState {
  return canaryStateSchema.parse(record.strategy);
}
