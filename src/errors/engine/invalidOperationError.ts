import { RampError } from '../rampError';

/** An operation that does not fit the rollout's phase (promote a finished rollout, resume a running one). */
export class InvalidOperationError extends RampError {
  readonly code = 'INVALID_OPERATION';

  constructor(
    readonly rolloutId: string,
    readonly operation: string,
    readonly phase: string,
    why: string,
  ) {
    super(`cannot ${operation} rollout ${rolloutId} (${phase}): ${why}`);
  }
}
