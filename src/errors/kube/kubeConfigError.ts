import { RampError } from '../rampError';

/** No usable Kubernetes configuration: no kubeconfig file where one was named or expected, and not in a cluster. */
export class KubeConfigError extends RampError {
  readonly code = 'KUBE_CONFIG';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
