import { RampError } from '../rampError';

/**
 * The Kubernetes API answered 409: the object changed since it was read (`Conflict`) or already
 * exists (`AlreadyExists`). Callers re-read and decide again.
 */
export class KubeConflictError extends RampError {
  readonly code = 'KUBE_CONFLICT';

  constructor(
    readonly verb: string,
    readonly resource: string,
    /** The Status reason: `Conflict`, `AlreadyExists`, or empty when the body had none. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Kubernetes API: ${verb} ${resource}: ${message}`, options);
  }
}
