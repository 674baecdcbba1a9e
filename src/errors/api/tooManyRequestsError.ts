import { RampError } from '../rampError';

/** A caller holds as many of something (event streams) as it may; it may try again after `retryAfterSeconds`. */
export class TooManyRequestsError extends RampError {
  readonly code = 'TOO_MANY_REQUESTS';

  constructor(
    readonly what: string,
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`too many ${what}: at most ${limit} at a time; try again in ${retryAfterSeconds} s`);
  }
}
