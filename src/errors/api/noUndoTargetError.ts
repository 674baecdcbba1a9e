import { RampError } from '../rampError';

/** `undo` with nothing to go back to: no earlier promoted revision (or not the one named). */
export class NoUndoTargetError extends RampError {
  readonly code = 'NO_UNDO_TARGET';

  constructor(
    readonly namespace: string,
    readonly app: string,
    why: string,
  ) {
    super(`cannot undo ${namespace}/${app}: ${why}`);
  }
}
