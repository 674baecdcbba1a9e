import { RampError } from '../rampError';

/** A reconcile job id BullMQ would refuse (a ':' in the rollout id) or that is not ours. */
export class InvalidJobIdError extends RampError {
  readonly code = 'INVALID_JOB_ID';

  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid reconcile job id "${value}": ${reason}`);
  }
}
