import { RampError } from '../rampError';

/**
 * A Kubernetes API request kept failing in a way that usually passes (429, 5xx, a timeout, a dropped
 * connection) after every retry the client allows; the caller may try again later.
 */
export class KubeTransientError extends RampError {
  readonly code = 'KUBE_TRANSIENT';

  constructor(
    readonly verb: string,
    readonly resource: string,
    readonly attempts: number,
    /** The last failure: an HTTP status, `timeout` or a socket error code. */
    readonly lastFailure: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Kubernetes API: ${verb} ${resource} failed ${attempts} times (last: ${lastFailure}); giving up for now`,
      options,
    );
  }
}
