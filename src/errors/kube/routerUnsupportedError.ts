import { RampError } from '../rampError';

/** A traffic router was asked for something it cannot do (header matches on replicaRatio). */
export class RouterUnsupportedError extends RampError {
  readonly code = 'ROUTER_UNSUPPORTED';

  constructor(
    readonly router: string,
    readonly operation: string,
  ) {
    super(`the ${router} router cannot ${operation}`);
  }
}
