/**
 * The replicaRatio router, for set-ups without a traffic router: the stable Service selects both
 * revisions, so the canary's share of requests is its share of ready pods, which the engine sets by
 * scaling. Nothing here touches the cluster; it cannot tell what share the data plane gives (verify is
 * undefined) and cannot match requests.
 */
import { RouterUnsupportedError } from '../../errors/routerUnsupportedError';
import { checkWeight } from './weight';
import type { RouterContext, TrafficMatch, TrafficRouter } from './trafficRouter';

/** Weight by replica share: every method answers without a request. */
export class ReplicaRatioRouter implements TrafficRouter {
  readonly kind = 'replicaRatio' as const;

  /** The engine achieves the weight by scaling; nothing to route. */
  async setWeight(_ctx: RouterContext, canaryPercent: number): Promise<void> {
    checkWeight(canaryPercent);
  }

  /** Rejects any match with RouterUnsupportedError; an empty list (no matches) is already true. */
  async setMatches(_ctx: RouterContext, matches: readonly TrafficMatch[]): Promise<void> {
    if (matches.length > 0)
      throw new RouterUnsupportedError(
        'replicaRatio',
        'send requests to the canary by header or cookie (use the gatewayApi router)',
      );
  }

  async reset(): Promise<void> {}

  /** Cannot tell: the split is whatever the pods' readiness makes it. */
  async verify(_ctx: RouterContext, canaryPercent: number): Promise<undefined> {
    checkWeight(canaryPercent);
    return undefined;
  }
}
