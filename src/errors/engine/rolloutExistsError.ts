import { RampError } from '../rampError';

/** A rollout id is used once: creating a record under an id that already has one is refused. */
export class RolloutExistsError extends RampError {
  readonly code = 'ROLLOUT_EXISTS';

  constructor(readonly rolloutId: string) {
    super(`rollout ${rolloutId} already exists`);
  }
}
