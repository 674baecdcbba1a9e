import { RampError } from '../rampError';

/** A request without a bearer token, or with one no authenticator accepts. */
export class UnauthorizedError extends RampError {
  readonly code = 'UNAUTHORIZED';

  constructor(readonly reason: 'missing' | 'invalid') {
    super(
      reason === 'missing'
        ? 'a bearer token is required (Authorization: Bearer <token>)'
        : 'the bearer token is not valid',
    );
  }
}
