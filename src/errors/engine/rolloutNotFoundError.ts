import { RampError } from '../rampError';

/** No record is stored under this rollout id. */
export class RolloutNotFoundError extends RampError {
  readonly code = 'ROLLOUT_NOT_FOUND';

  constructor(readonly rolloutId: string) {
    super(`rollout ${rolloutId} not found`);
  }
}
