import { RampError } from '../rampError';

/** The Ingress a plan's nginxIngress router names does not exist in the rollout's namespace. */
export class IngressNotFoundError extends RampError {
  readonly code = 'INGRESS_NOT_FOUND';

  constructor(
    readonly namespace: string,
    readonly ingress: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Ingress ${namespace}/${ingress} not found: create it (with a path whose backend is the stable Service) or name another in spec.strategy.<strategy>.router.nginxIngress.ingress`,
      options,
    );
  }
}
