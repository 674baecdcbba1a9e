import { RampError } from '../rampError';
import type { Unreachable } from '../markers';

/** The Ramp API server did not answer: connection refused or reset, DNS failure, or no answer in time. */
export class ApiUnreachableError extends RampError implements Unreachable {
  readonly code = 'API_UNREACHABLE';
  readonly unreachable = true as const;

  constructor(
    readonly server: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the Ramp API at ${server}: ${reason}`, options);
  }
}
