import { RampError } from '../rampError';

/** `release` of an app that has no Deployment adopted by Ramp to hand back to. */
export class NothingAdoptedError extends RampError {
  readonly code = 'NOTHING_ADOPTED';

  constructor(
    readonly namespace: string,
    readonly app: string,
    why: string,
  ) {
    super(`cannot release ${namespace}/${app}: ${why}`);
  }
}
