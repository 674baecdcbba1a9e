import { RampError } from '../rampError';

/**
 * The Ingress the nginxIngress router would manage as its canary (`<ingress>-canary`) exists but is not
 * Ramp's for this app, so writing it would take someone else's object.
 */
export class CanaryIngressConflictError extends RampError {
  readonly code = 'CANARY_INGRESS_CONFLICT';

  constructor(
    readonly namespace: string,
    readonly ingress: string,
    readonly app: string,
  ) {
    super(
      `Ingress ${namespace}/${ingress} exists and is not Ramp's canary Ingress for app ${app} (labels app.kubernetes.io/managed-by: ramp, ramp.dev/app: ${app}): delete or rename it, or name another Ingress in the router's config`,
    );
  }
}
