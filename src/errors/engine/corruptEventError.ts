import { RampError } from '../rampError';

/** An entry of a rollout's event stream that is not an event Ramp can read. */
export class CorruptEventError extends RampError {
  readonly code = 'CORRUPT_EVENT';

  constructor(
    readonly rolloutId: string,
    readonly entryId: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`event ${entryId} of rollout ${rolloutId} is corrupt: ${reason}`, options);
  }
}
