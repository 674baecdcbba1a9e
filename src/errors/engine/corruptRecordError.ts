import { RampError } from '../rampError';

/** What Redis holds under a rollout's key is not a record Ramp can read (bad JSON, wrong shape or type). */
export class CorruptRecordError extends RampError {
  readonly code = 'CORRUPT_RECORD';

  constructor(
    readonly rolloutId: string,
    readonly key: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`the stored record of rollout ${rolloutId} (${key}) is corrupt: ${reason}`, options);
  }
}
