import { RampError } from '../rampError';

/**
 * The Kubernetes API refused a request for a reason retrying will not fix (403 Forbidden, 422 Invalid,
 * 400 BadRequest…): the message is the API server's own.
 */
export class KubeRequestError extends RampError {
  readonly code = 'KUBE_REQUEST_FAILED';

  constructor(
    readonly verb: string,
    readonly resource: string,
    /** The HTTP status, or 0 when no answer came (a non-transient socket or TLS error). */
    readonly status: number,
    /** The Status reason (`Forbidden`, `Invalid`…), or empty. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Kubernetes API: ${verb} ${resource}${status ? ` (${status}${reason ? ` ${reason}` : ''})` : ''}: ${message}`,
      options,
    );
  }
}
