import { RampError } from '../rampError';
import type { TimedOut } from '../markers';

/** `--timeout` passed before the rollout ended. Only the CLI stopped waiting: the rollout keeps going. */
export class WaitTimeoutError extends RampError implements TimedOut {
  readonly code = 'WAIT_TIMEOUT';
  readonly timedOut = true as const;

  constructor(
    readonly rolloutId: string,
    readonly timeout: string,
    readonly phase: string,
    readonly followCommand: string,
  ) {
    super(
      `gave up waiting after ${timeout}: rollout ${rolloutId} is ${phase} and keeps going without us (follow it with \`${followCommand}\`)`,
    );
  }
}
