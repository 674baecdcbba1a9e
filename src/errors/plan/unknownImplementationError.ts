import { RampError } from '../rampError';
import type { BadInput } from '../markers';

/** A factory was asked for an implementation it does not know (a router, a provider, a judge). */
export class UnknownImplementationError extends RampError implements BadInput {
  readonly code = 'UNKNOWN_IMPLEMENTATION';
  readonly badInput = true as const;

  constructor(
    readonly extensionPoint: string,
    readonly requested: string,
    readonly known: readonly string[],
    hint?: string,
  ) {
    super(`unknown ${extensionPoint} "${requested}"; expected one of: ${known.join(', ')}${hint ? ` (${hint})` : ''}`);
  }
}
