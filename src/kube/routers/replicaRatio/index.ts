/**
 * `router: { replicaRatio: {} }` (the default): no router at all. The stable Service selects every
 * revision of the app, so the new revision's share of requests is its share of ready pods, which the
 * strategy sets by scaling (capability `weights: 'pods'`). Nothing here touches the cluster: it cannot
 * tell what share the data plane gives (verify is undefined) and cannot match requests.
 */
import { RouterUnsupportedError } from '../../../errors';
import { z } from 'zod';
import { checkTraffic, type Traffic } from '../../../strategies/traffic';
import type { RouterCapabilities, RouterContext, RouterPlugin, RouterProblem, TrafficRouter } from '../trafficRouter';

export const REPLICA_RATIO_CAPABILITIES: RouterCapabilities = {
  weights: 'pods',
  verify: false,
  headerMatch: false,
  cookieValueMatch: false,
  cookieMatch: false,
  queryMatch: false,
  regexMatch: false,
  sticky: false,
};

/** Weight by replica share: every method answers without a request. */
export class ReplicaRatioRouter implements TrafficRouter {
  readonly kind = 'replicaRatio';
  readonly capabilities = REPLICA_RATIO_CAPABILITIES;

  async check(): Promise<RouterProblem[]> {
    return [];
  }

  /** The weight is the strategy's pod counts; matches cannot be expressed (RouterUnsupportedError). */
  async setTraffic(_ctx: RouterContext, traffic: Traffic): Promise<void> {
    checkTraffic(traffic);
    if (traffic.matches.length > 0)
      throw new RouterUnsupportedError(
        'replicaRatio',
        'send requests to the new revision by header or cookie (use gatewayApi)',
      );
  }

  async reset(): Promise<void> {}

  /** Cannot tell: the split is whatever the pods' readiness makes it. */
  async verify(_ctx: RouterContext, traffic: Traffic): Promise<undefined> {
    checkTraffic(traffic);
    return undefined;
  }
}

export const replicaRatioRouter: RouterPlugin<Record<string, never>> = {
  key: 'replicaRatio',
  configSchema: z.strictObject({}),
  description: 'no router: the stable Service selects every revision and traffic follows the share of ready pods',
  capabilities: () => REPLICA_RATIO_CAPABILITIES,
  create: () => new ReplicaRatioRouter(),
};
