/**
 * How a caller should take an error without naming its class: the input was wrong (fix it and ask
 * again), the server could not be reached (try again later), or the wait ended while the thing waited
 * on goes on. Kept apart from the error classes and their mappings, so nothing imports in a circle.
 */

/** Errors that mean "the input was wrong" carry this marker; everything else failed to act. */
export interface BadInput {
  readonly badInput: true;
}

/** Errors that mean "the server could not be reached (or could not answer now)" carry this marker. */
export interface Unreachable {
  readonly unreachable: true;
}

/** Errors that mean "we stopped waiting; the thing waited on keeps going" carry this marker. */
export interface TimedOut {
  readonly timedOut: true;
}

export function isBadInput(err: unknown): err is BadInput {
  return typeof err === 'object' && err !== null && (err as Partial<BadInput>).badInput === true;
}

export function isUnreachable(err: unknown): err is Unreachable {
  return typeof err === 'object' && err !== null && (err as Partial<Unreachable>).unreachable === true;
}

export function isTimedOut(err: unknown): err is TimedOut {
  return typeof err === 'object' && err !== null && (err as Partial<TimedOut>).timedOut === true;
}

/** Errors that mean "who you are may not do this" (a token refused, a grant missing) carry this marker. */
export interface Denied {
  readonly denied: true;
}

/** Errors that mean "the app already has an active rollout" carry this marker. */
export interface Busy {
  readonly busy: true;
}

export function isDenied(err: unknown): err is Denied {
  return typeof err === 'object' && err !== null && (err as Partial<Denied>).denied === true;
}

export function isBusy(err: unknown): err is Busy {
  return typeof err === 'object' && err !== null && (err as Partial<Busy>).busy === true;
}
