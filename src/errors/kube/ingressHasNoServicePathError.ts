import { RampError } from '../rampError';

/** The nginxIngress router's Ingress routes nothing to the stable Service, so there is nothing to put a canary beside. */
export class IngressHasNoServicePathError extends RampError {
  readonly code = 'INGRESS_HAS_NO_SERVICE_PATH';

  constructor(
    readonly namespace: string,
    readonly ingress: string,
    readonly service: string,
  ) {
    super(
      `Ingress ${namespace}/${ingress} has no path (or defaultBackend) whose backend is the Service ${service}: add one, e.g. paths: [{path: /, pathType: Prefix, backend: {service: {name: ${service}, port: {number: …}}}}]`,
    );
  }
}
