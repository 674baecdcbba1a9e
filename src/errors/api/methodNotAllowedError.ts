import { RampError } from '../rampError';
import type { BadInput } from '../markers';

/** A method the path does not serve (TRACE, PUT, …); `allowed` lists those it does. */
export class MethodNotAllowedError extends RampError implements BadInput {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly badInput = true as const;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly allowed: readonly string[],
  ) {
    super(`${method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`);
  }
}
