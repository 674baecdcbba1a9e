import { RampError } from '../rampError';

/** An HTTPRoute exists but none of its rules sends traffic to the stable or canary Service, so there is nothing to shift. */
export class RouteHasNoServiceRuleError extends RampError {
  readonly code = 'ROUTE_HAS_NO_SERVICE_RULE';

  constructor(
    readonly namespace: string,
    readonly route: string,
    readonly service: string,
  ) {
    super(
      `HTTPRoute ${namespace}/${route} has no rule whose backendRefs name the Service ${service} (or ${service}-canary): add one, e.g. backendRefs: [{name: ${service}, port: …}]`,
    );
  }
}
