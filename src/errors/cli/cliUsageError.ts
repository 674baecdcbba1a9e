import { RampError } from '../rampError';
import type { BadInput } from '../markers';

/** A flag, environment variable or file the CLI was given is missing or wrong; names how to fix it. */
export class CliUsageError extends RampError implements BadInput {
  readonly code = 'CLI_USAGE';
  readonly badInput = true as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
