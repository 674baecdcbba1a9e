import { RampError } from '../rampError';

/** A Redis script answered with a code the caller does not know: a script and its caller disagree. */
export class UnexpectedScriptResultError extends RampError {
  readonly code = 'UNEXPECTED_SCRIPT_RESULT';

  constructor(
    readonly script: string,
    readonly result: unknown,
  ) {
    super(`redis script ${script} returned an unexpected result: ${JSON.stringify(result)}`);
  }
}
