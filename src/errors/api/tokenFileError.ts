import { RampError } from '../rampError';
import type { BadInput } from '../markers';
import type { FieldProblem } from '../plan/planValidationError';

/** A static tokens file that does not parse or validate; every problem names its field. */
export class TokenFileError extends RampError implements BadInput {
  readonly code = 'INVALID_TOKEN_FILE';
  readonly badInput = true as const;

  constructor(
    readonly source: string,
    readonly problems: FieldProblem[],
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`, options);
  }
}
