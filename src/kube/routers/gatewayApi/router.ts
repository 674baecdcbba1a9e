/**
 * The gatewayApi router: traffic is split by the backendRef weights of an HTTPRoute's rules, and gray
 * matches are rules of Ramp's own (conventions in httpRouteRules.ts). Every change is a read, a pure
 * decision, and — only when the rules would differ — a replace at the read resourceVersion; a 409 means
 * someone else wrote in between, so it reads again and decides again.
 */
import { RouteHasNoServiceRuleError, RouteNotFoundError } from '../../../errors';
import { checkTraffic, STABLE_ONLY, type Traffic } from '../../../strategies/traffic';
import type { KubeClient } from '../../client';
import { retryOnConflict } from '../../conflicts';
import type { RouterCapabilities, RouterContext, RouterProblem, TrafficRouter } from '../trafficRouter';
import { type HTTPRoute, readHttpRoute, replaceHttpRoute } from './httpRoute';
import { isWeightedRule, rulesAre, type ServiceRefs, withTraffic } from './httpRouteRules';

/** The plan's `router: { gatewayApi: { httpRoute } }`. */
export interface GatewayApiConfig {
  httpRoute: string;
}

export const GATEWAY_API_CAPABILITIES: RouterCapabilities = {
  weights: 'route',
  verify: true,
  headerMatch: true,
  cookieValueMatch: true,
  cookieMatch: true,
  queryMatch: true,
  regexMatch: true,
  sticky: true,
};

function refsOf(ctx: RouterContext): ServiceRefs {
  return { namespace: ctx.namespace, stable: ctx.services.stable, canary: ctx.services.new, port: ctx.port };
}

/** Routes by HTTPRoute backendRef weights and header/cookie match rules. */
export class GatewayApiRouter implements TrafficRouter {
  readonly kind = 'gatewayApi';
  readonly capabilities = GATEWAY_API_CAPABILITIES;

  constructor(
    private readonly config: GatewayApiConfig,
    private readonly client: KubeClient,
  ) {}

  async check(ctx: RouterContext): Promise<RouterProblem[]> {
    const route = await readHttpRoute(this.client, ctx.namespace, this.config.httpRoute);
    if (!route)
      return [{ path: 'httpRoute', message: new RouteNotFoundError(ctx.namespace, this.config.httpRoute).message }];
    const refs = refsOf(ctx);
    if (!(route.spec?.rules ?? []).some((r) => isWeightedRule(r, refs))) {
      const err = new RouteHasNoServiceRuleError(ctx.namespace, this.config.httpRoute, refs.stable);
      return [{ path: 'httpRoute', message: err.message }];
    }
    return [];
  }

  async setTraffic(ctx: RouterContext, traffic: Traffic): Promise<void> {
    checkTraffic(traffic);
    await this.change(ctx, traffic);
  }

  async reset(ctx: RouterContext): Promise<void> {
    await this.change(ctx, STABLE_ONLY);
  }

  async verify(ctx: RouterContext, traffic: Traffic): Promise<boolean> {
    checkTraffic(traffic);
    const route = await this.read(ctx);
    return rulesAre(route.spec?.rules ?? [], refsOf(ctx), traffic);
  }

  private async read(ctx: RouterContext): Promise<HTTPRoute> {
    const route = await readHttpRoute(this.client, ctx.namespace, this.config.httpRoute);
    if (!route) throw new RouteNotFoundError(ctx.namespace, this.config.httpRoute);
    return route;
  }

  /** Read, decide, and replace at the read resourceVersion when the rules differ; again on 409. Answers whether it wrote. */
  private change(ctx: RouterContext, traffic: Traffic): Promise<boolean> {
    const refs = refsOf(ctx);
    return retryOnConflict(async () => {
      const route = await this.read(ctx);
      const rules = route.spec?.rules ?? [];
      if (!rules.some((r) => isWeightedRule(r, refs)))
        throw new RouteHasNoServiceRuleError(ctx.namespace, this.config.httpRoute, refs.stable);
      if (rulesAre(rules, refs, traffic)) return false;
      await replaceHttpRoute(this.client, {
        ...route,
        spec: { ...route.spec, rules: withTraffic(rules, refs, traffic) },
      });
      return true;
    });
  }
}
