/**
 * The one place that turns outcomes and errors into the CLI's exit codes: 0 success, 1 failed (rolled
 * back, aborted, could not start), 2 bad input, 3 timeout or server unreachable.
 */
import { isBadInput, isTimedOut, isUnreachable } from '../errors';

export const EXIT_CODES = { ok: 0, failed: 1, badInput: 2, unreachable: 3, timeout: 3 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** An error's exit code: 2 bad input, 3 timed out or unreachable, 1 anything else. */
export function exitCodeFor(err: unknown): ExitCode {
  if (isBadInput(err)) return EXIT_CODES.badInput;
  if (isTimedOut(err)) return EXIT_CODES.timeout;
  if (isUnreachable(err)) return EXIT_CODES.unreachable;
  return EXIT_CODES.failed;
}

/** A finished rollout's exit code: 0 promoted; 1 rolled back, aborted or failed (and 1 for an outcome we do not know). */
export function exitCodeForOutcome(outcome: 'promoted' | 'rolledBack' | 'aborted' | 'failed' | undefined): ExitCode {
  return outcome === 'promoted' ? EXIT_CODES.ok : EXIT_CODES.failed;
}

export { userMessage } from '../errors';
