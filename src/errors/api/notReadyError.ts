import { RampError } from '../rampError';

/** The server is up but cannot serve yet: a dependency (Redis) does not answer. */
export class NotReadyError extends RampError {
  readonly code = 'NOT_READY';

  constructor(
    readonly dependency: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`not ready: ${dependency} ${reason}`, options);
  }
}
