import { RampError } from '../rampError';

/** A read-modify-write lost the compare-and-set on every attempt: others keep changing the record. */
export class ConcurrentUpdateError extends RampError {
  readonly code = 'CONCURRENT_UPDATE';

  constructor(
    readonly rolloutId: string,
    readonly attempts: number,
  ) {
    super(`rollout ${rolloutId} changed under us on each of ${attempts} attempts; giving up`);
  }
}
