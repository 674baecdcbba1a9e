import { RampError } from '../rampError';

/** An app may have one active rollout at a time; this names the one that already is. */
export class ActiveRolloutExistsError extends RampError {
  readonly code = 'ACTIVE_ROLLOUT_EXISTS';

  constructor(
    readonly namespace: string,
    readonly app: string,
    readonly activeRolloutId: string,
  ) {
    super(`app ${namespace}/${app} already has an active rollout: ${activeRolloutId}`);
  }
}
