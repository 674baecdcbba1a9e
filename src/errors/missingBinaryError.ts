import { RampError } from './rampError';

/** A program Ramp runs (prometheus, redis-server, kubectl) is not installed. */
export class MissingBinaryError extends RampError {
  readonly code = 'MISSING_BINARY';

  constructor(
    readonly binary: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`${binary} not found: ${hint}`, options);
  }
}
