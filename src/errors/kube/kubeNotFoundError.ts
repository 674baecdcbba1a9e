import { RampError } from '../rampError';

/** The Kubernetes API answered 404 for an object (or its namespace) that a caller needed. */
export class KubeNotFoundError extends RampError {
  readonly code = 'KUBE_NOT_FOUND';

  constructor(
    readonly verb: string,
    readonly resource: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Kubernetes API: ${verb} ${resource}: ${message}`, options);
  }
}
