import { RampError } from '../rampError';
import type { BadInput } from '../markers';
import type { FieldProblem } from '../plan/planValidationError';

/** A request that cannot be read: a body that does not parse, a query parameter or path segment out of shape. */
export class BadRequestError extends RampError implements BadInput {
  readonly code = 'BAD_REQUEST';
  readonly badInput = true as const;

  constructor(
    message: string,
    readonly problems: FieldProblem[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
