import { RampError } from '../rampError';

/** A component was used after `close()` began. */
export class ClosedError extends RampError {
  readonly code = 'CLOSED';

  constructor(readonly component: string) {
    super(`${component} is closed`);
  }
}
