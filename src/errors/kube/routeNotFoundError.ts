import { RampError } from '../rampError';

/** The HTTPRoute a plan's gatewayApi router names does not exist in the rollout's namespace. */
export class RouteNotFoundError extends RampError {
  readonly code = 'ROUTE_NOT_FOUND';

  constructor(
    readonly namespace: string,
    readonly route: string,
    options?: { cause?: unknown },
  ) {
    super(
      `HTTPRoute ${namespace}/${route} not found: create it (with a rule whose backendRefs name the stable Service) or name another in spec.strategy.canary.router.gatewayApi.httpRoute`,
      options,
    );
  }
}
