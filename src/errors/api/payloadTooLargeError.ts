import { RampError } from '../rampError';
import type { BadInput } from '../markers';

/** A request body over the server's size limit. */
export class PayloadTooLargeError extends RampError implements BadInput {
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly badInput = true as const;

  constructor(readonly limitBytes: number) {
    super(`the request body is larger than the limit of ${limitBytes} bytes`);
  }
}
