import { RampError } from '../rampError';

/** The API answered 2xx with a body that is not what the contract (src/api/schemas.ts) says: a version mismatch or a bug. */
export class InvalidApiResponseError extends RampError {
  readonly code = 'INVALID_API_RESPONSE';

  constructor(
    readonly request: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      `unexpected answer to ${request}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`,
      options,
    );
  }
}
