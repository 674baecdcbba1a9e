import { RampError } from '../rampError';
import type { BadInput } from '../markers';

/** A label key or value Ramp was asked to write or select on is not valid in Kubernetes. */
export class InvalidLabelError extends RampError implements BadInput {
  readonly code = 'INVALID_LABEL';
  readonly badInput = true as const;

  constructor(
    readonly key: string,
    readonly value: string,
    readonly problem: string,
  ) {
    super(`label ${JSON.stringify(key)}=${JSON.stringify(value)}: ${problem}`);
  }
}
