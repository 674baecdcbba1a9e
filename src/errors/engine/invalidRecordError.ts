import { RampError } from '../rampError';

/** A record handed to the store that it refuses to write: not schema-valid, or changing what may not change. */
export class InvalidRecordError extends RampError {
  readonly code = 'INVALID_RECORD';

  constructor(
    readonly rolloutId: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`refusing to store rollout ${rolloutId}: ${problems.join('; ')}`, options);
  }
}
