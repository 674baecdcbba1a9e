import { RampError } from '../rampError';

/** No API endpoint answers this method and path. */
export class EndpointNotFoundError extends RampError {
  readonly code = 'NOT_FOUND';

  constructor(
    readonly method: string,
    readonly path: string,
  ) {
    super(`no endpoint ${method} ${path} (see /openapi.json)`);
  }
}
