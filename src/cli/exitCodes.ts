/**
 * The one place that turns outcomes and errors into the CLI's exit codes, so a pipeline can tell a bad
 * canary from a bad secret: 0 success, 1 failed (rolled back, aborted, failed, could not act), 2 bad
 * input, 3 timeout or server unreachable, 4 not allowed (token refused or grant missing), 5 the app
 * already has an active rollout.
 */
import { isBadInput, isBusy, isDenied, isTimedOut, isUnreachable } from '../errors';
import type { Outcome } from '../engine/phase';

export const EXIT_CODES = { ok: 0, failed: 1, badInput: 2, unreachable: 3, timeout: 3, denied: 4, busy: 5 } as const;

/** The exit codes as `ramp --help` and the README list them. */
export const EXIT_CODE_HELP = [
  '0  promoted or released (or the command did what it was asked, or it was already so)',
  '1  rolled back, aborted or failed',
  '2  bad input: the plan (every problem with its field path), flags, a 400/422 answer',
  '3  timeout (--timeout: the rollout keeps going) or the server unreachable',
  '4  not allowed: the token was refused (401) or lacks the grant (403)',
  '5  the app already has an active rollout (409)',
];
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** An error's exit code: 2 bad input, 3 timed out or unreachable, 4 not allowed, 5 busy, 1 anything else. */
export function exitCodeFor(err: unknown): ExitCode {
  if (isBadInput(err)) return EXIT_CODES.badInput;
  if (isDenied(err)) return EXIT_CODES.denied;
  if (isBusy(err)) return EXIT_CODES.busy;
  if (isTimedOut(err)) return EXIT_CODES.timeout;
  if (isUnreachable(err)) return EXIT_CODES.unreachable;
  return EXIT_CODES.failed;
}

/** A finished rollout's exit code: 0 promoted or released; 1 rolled back, aborted or failed (and 1 for an outcome we do not know). */
export function exitCodeForOutcome(outcome: Outcome | undefined): ExitCode {
  return outcome === 'promoted' || outcome === 'released' ? EXIT_CODES.ok : EXIT_CODES.failed;
}

export { userMessage } from '../errors';
