import { RampError } from '../rampError';
import type { BadInput } from '../markers';

/** An option given to one of Ramp's components is out of range; names the option. */
export class InvalidOptionError extends RampError implements BadInput {
  readonly code = 'INVALID_OPTION';
  readonly badInput = true as const;

  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`${option}: ${problem}`);
  }
}
