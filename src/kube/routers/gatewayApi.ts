/**
 * The gatewayApi router: traffic is split by the backendRef weights of an HTTPRoute's rules, and gray
 * matches are rules of Ramp's own (conventions in httpRouteRules.ts). Every change is a read, a pure
 * decision, and — only when the rules would differ — a replace at the read resourceVersion; a 409 means
 * someone else wrote in between, so it reads again and decides again.
 */
import { RouteHasNoServiceRuleError } from '../../errors/routeHasNoServiceRuleError';
import { RouteNotFoundError } from '../../errors/routeNotFoundError';
import type { KubeClient } from '../client';
import { retryOnConflict } from '../conflicts';
import { type HTTPRoute, type HTTPRouteRule, readHttpRoute, replaceHttpRoute } from './httpRoute';
import { isWeightedRule, sameRules, type ServiceRefs, weightIs, withMatches, withWeight } from './httpRouteRules';
import { checkWeight } from './weight';
import type { RouterContext, TrafficMatch, TrafficRouter } from './trafficRouter';

/** What a change does to a route's rules, given the Services it is for. */
type RulesChange = (rules: readonly HTTPRouteRule[], refs: ServiceRefs) => HTTPRouteRule[];

function refsOf(ctx: RouterContext): ServiceRefs {
  return { namespace: ctx.namespace, stable: ctx.service.name, canary: ctx.service.canaryName, port: ctx.service.port };
}

function routeName(ctx: RouterContext): string {
  if (!ctx.httpRoute) throw new RouteNotFoundError(ctx.namespace, '(none named)');
  return ctx.httpRoute;
}

/** Routes by HTTPRoute backendRef weights and header/cookie match rules. */
export class GatewayApiRouter implements TrafficRouter {
  readonly kind = 'gatewayApi' as const;

  constructor(private readonly client: KubeClient) {}

  async setWeight(ctx: RouterContext, canaryPercent: number): Promise<void> {
    checkWeight(canaryPercent);
    await this.change(ctx, (rules, refs) => withWeight(rules, refs, canaryPercent));
  }

  async setMatches(ctx: RouterContext, matches: readonly TrafficMatch[]): Promise<void> {
    await this.change(ctx, (rules, refs) => withMatches(rules, refs, matches));
  }

  async reset(ctx: RouterContext): Promise<void> {
    await this.change(ctx, (rules, refs) => withMatches(withWeight(rules, refs, 0), refs, []));
  }

  async verify(ctx: RouterContext, canaryPercent: number): Promise<boolean> {
    checkWeight(canaryPercent);
    const route = await this.read(ctx);
    return weightIs(route.spec?.rules ?? [], refsOf(ctx), canaryPercent);
  }

  private async read(ctx: RouterContext): Promise<HTTPRoute> {
    const name = routeName(ctx);
    const route = await readHttpRoute(this.client, ctx.namespace, name);
    if (!route) throw new RouteNotFoundError(ctx.namespace, name);
    return route;
  }

  /** Read, decide, and replace at the read resourceVersion when the rules differ; again on 409. Answers whether it wrote. */
  private change(ctx: RouterContext, next: RulesChange): Promise<boolean> {
    const refs = refsOf(ctx);
    return retryOnConflict(async () => {
      const route = await this.read(ctx);
      const rules = route.spec?.rules ?? [];
      if (!rules.some((r) => isWeightedRule(r, refs)))
        throw new RouteHasNoServiceRuleError(ctx.namespace, routeName(ctx), refs.stable);
      const desired = next(rules, refs);
      if (sameRules(rules, desired, ctx.namespace)) return false;
      await replaceHttpRoute(this.client, { ...route, spec: { ...route.spec, rules: desired } });
      return true;
    });
  }
}
