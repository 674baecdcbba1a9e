import { RampError } from '../rampError';

/** A port Ramp was asked to listen on is taken by another process. */
export class PortInUseError extends RampError {
  readonly code = 'PORT_IN_USE';

  constructor(
    readonly what: string,
    readonly address: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`${what} cannot listen on ${address}: the port is taken by another process; ${hint}`, options);
  }
}
