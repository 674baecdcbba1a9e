import { RampError } from '../rampError';

/** The sandbox could not start, or is not running when a command needs it. */
export class SandboxError extends RampError {
  readonly code = 'SANDBOX';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
