/**
 * The one place that turns Ramp's typed errors into CLI exit codes (and, with the API, HTTP statuses).
 * Exit codes: 0 success, 1 failed (rolled back, aborted, could not start), 2 bad input, 3 timeout or
 * server unreachable.
 */
import { RampError } from './rampError';
import { ActiveRolloutExistsError } from './activeRolloutExistsError';
import { AppRolloutNotFoundError } from './appRolloutNotFoundError';
import { BadRequestError } from './badRequestError';
import { ClosedError } from './closedError';
import { ConcurrentUpdateError } from './concurrentUpdateError';
import { EndpointNotFoundError } from './endpointNotFoundError';
import { ForbiddenError } from './forbiddenError';
import { InvalidOperationError } from './invalidOperationError';
import { KubeClientClosedError } from './kubeClientClosedError';
import { KubeRequestError } from './kubeRequestError';
import { KubeTransientError } from './kubeTransientError';
import { NotReadyError } from './notReadyError';
import { PayloadTooLargeError } from './payloadTooLargeError';
import { PlanValidationError } from './planValidationError';
import { RolloutExistsError } from './rolloutExistsError';
import { RolloutNotFoundError } from './rolloutNotFoundError';
import { UnauthorizedError } from './unauthorizedError';
import { UnsupportedMediaTypeError } from './unsupportedMediaTypeError';

export const EXIT_CODES = { ok: 0, failed: 1, badInput: 2, unreachable: 3, timeout: 3 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Errors that mean "the input was wrong" carry this marker; everything else failed to act. */
export interface BadInput {
  readonly badInput: true;
}

function isBadInput(err: unknown): err is BadInput {
  return typeof err === 'object' && err !== null && (err as Partial<BadInput>).badInput === true;
}

/** Errors that mean "the server could not be reached (or could not answer now)" carry this marker. */
export interface Unreachable {
  readonly unreachable: true;
}

/** Errors that mean "we stopped waiting; the thing waited on keeps going" carry this marker. */
export interface TimedOut {
  readonly timedOut: true;
}

function isUnreachable(err: unknown): err is Unreachable {
  return typeof err === 'object' && err !== null && (err as Partial<Unreachable>).unreachable === true;
}

function isTimedOut(err: unknown): err is TimedOut {
  return typeof err === 'object' && err !== null && (err as Partial<TimedOut>).timedOut === true;
}

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

/** The one-line message a user sees for an error: ours verbatim, anything else without a stack. */
export function userMessage(err: unknown): string {
  if (err instanceof RampError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** HTTP statuses by error class, first match wins (the API's error middleware is the only reader). */
const HTTP_STATUSES: ReadonlyArray<readonly [ErrorClass, number]> = [
  [PlanValidationError, 422],
  [BadRequestError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [EndpointNotFoundError, 404],
  [RolloutNotFoundError, 404],
  [AppRolloutNotFoundError, 404],
  [ActiveRolloutExistsError, 409],
  [InvalidOperationError, 409],
  [ConcurrentUpdateError, 409],
  [RolloutExistsError, 409],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  // The cluster answered with something we did not expect: a gateway error, not ours.
  [KubeRequestError, 502],
  [KubeTransientError, 503],
  [KubeClientClosedError, 503],
  [ClosedError, 503],
  [NotReadyError, 503],
];

/** The HTTP status an error answers with: its class's, 400 for any other bad input, else 500. */
export function httpStatusFor(err: unknown): number {
  for (const [cls, status] of HTTP_STATUSES) if (err instanceof cls) return status;
  return isBadInput(err) ? 400 : 500;
}
