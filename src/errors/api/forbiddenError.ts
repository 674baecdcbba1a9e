import { RampError } from '../rampError';

/** An authenticated caller asked for something its grants do not cover (a verb, or a namespace). */
export class ForbiddenError extends RampError {
  readonly code = 'FORBIDDEN';

  constructor(
    readonly subject: string,
    readonly verb: string,
    readonly namespace: string | undefined,
  ) {
    super(`${subject} may not ${verb} rollouts${namespace === undefined ? '' : ` in namespace ${namespace}`}`);
  }
}
