import { RampError } from '../rampError';

/** A request was made through, or was in flight or waiting to retry in, a KubeClient that has been closed. */
export class KubeClientClosedError extends RampError {
  readonly code = 'KUBE_CLIENT_CLOSED';

  constructor(
    readonly verb: string,
    readonly resource: string,
  ) {
    super(`Kubernetes API: ${verb} ${resource} abandoned: the client is closed`);
  }
}
