import { RampError } from '../rampError';

/** An app that has never had a rollout (or none by that id): nothing to show or operate on. */
export class AppRolloutNotFoundError extends RampError {
  readonly code = 'ROLLOUT_NOT_FOUND';

  constructor(
    readonly namespace: string,
    readonly app: string,
    /** The rollout id asked for, when one was. */
    readonly rolloutId?: string,
  ) {
    super(
      rolloutId === undefined
        ? `app ${namespace}/${app} has no rollout`
        : `app ${namespace}/${app} has no rollout ${rolloutId}`,
    );
  }
}
