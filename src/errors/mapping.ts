/**
 * The one place that turns Ramp's typed errors into CLI exit codes (and, with the API, HTTP statuses).
 * Exit codes: 0 success, 1 failed (rolled back, aborted, could not start), 2 bad input, 3 timeout or
 * server unreachable.
 */
import { RampError } from './rampError';

export const EXIT_CODES = { ok: 0, failed: 1, badInput: 2, unreachable: 3 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Errors that mean "the input was wrong" carry this marker; everything else failed to act. */
export interface BadInput {
  readonly badInput: true;
}

function isBadInput(err: unknown): err is BadInput {
  return typeof err === 'object' && err !== null && (err as Partial<BadInput>).badInput === true;
}

export function exitCodeFor(err: unknown): ExitCode {
  return isBadInput(err) ? EXIT_CODES.badInput : EXIT_CODES.failed;
}

/** The one-line message a user sees for an error: ours verbatim, anything else without a stack. */
export function userMessage(err: unknown): string {
  if (err instanceof RampError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}
