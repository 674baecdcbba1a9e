/**
 * The gatewayApi router passes the router conformance suite, and on a route shared with other rules it
 * changes only the rules that send to its Services, keeps every other field, and names a missing route
 * or a route without such a rule with a typed error.
 */
import { RouteHasNoServiceRuleError, RouteNotFoundError } from '../../../src/errors';
import { GatewayApiRouter } from '../../../src/kube/routers/gatewayApi/router';
import { cookieRegex } from '../../../src/kube/routers/gatewayApi/httpRouteRules';
import { weighted } from '../../../src/strategies/traffic';
import type { RouterContext } from '../../../src/kube/routers/trafficRouter';
import { ensureService } from '../../../src/kube/services';
import type { KubeClient } from '../../../src/kube/client';
import { resource } from '@ramp/sandbox';
import { describeRouterConformance } from './routerConformance';
import { startKubeSandbox, writesIn, type KubeSandbox } from './harness';

const ROUTES = resource('httproutes');

const STATIC_RULE = {
  matches: [{ path: { type: 'PathPrefix', value: '/static' } }],
  backendRefs: [{ name: 'cdn', port: 80 }],
};
const FILTERS = [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-via', value: 'gw' }] } }];

/** The two Services and a route with Ramp's rule and someone else's. */
async function prepare(k: KubeSandbox, client: KubeClient, namespace: string): Promise<RouterContext> {
  await ensureService(client, {
    namespace,
    name: 'web',
    selector: { 'ramp.dev/app': 'web', 'ramp.dev/revision': 'r1' },
    port: 80,
    targetPort: 'http',
  });
  await ensureService(client, {
    namespace,
    name: 'web-canary',
    selector: { 'ramp.dev/app': 'web', 'ramp.dev/revision': 'r2' },
    port: 80,
    targetPort: 'http',
  });
  k.sb.registry.create(ROUTES, namespace, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace, labels: { team: 'shop' } },
    spec: {
      parentRefs: [{ name: 'sandbox' }],
      hostnames: ['web.example.com'],
      rules: [{ filters: FILTERS, backendRefs: [{ name: 'web', port: 80 }] }, STATIC_RULE],
    },
  });
  return { namespace, app: 'web', services: { stable: 'web', new: 'web-canary' }, port: 80 };
}

interface Route {
  metadata: { labels?: Record<string, string> };
  spec: {
    hostnames?: string[];
    parentRefs?: unknown[];
    rules: { matches?: unknown[]; filters?: unknown; backendRefs?: { name: string; weight?: number }[] }[];
  };
}

const routeOf = (k: KubeSandbox, ns: string): Route => k.sb.registry.get(ROUTES, ns, 'web') as unknown as Route;

describeRouterConformance('gatewayApi', {
  prepare,
  editBehindBack(k, ctx) {
    k.sb.registry.patch(ROUTES, ctx.namespace, 'web', 'merge', {
      spec: {
        rules: [
          {
            backendRefs: [
              { name: 'web', port: 80, weight: 50 },
              { name: 'web-canary', port: 80, weight: 50 },
            ],
          },
        ],
      },
    });
  },
  unrelatedEdit(k, ctx) {
    k.sb.registry.patch(ROUTES, ctx.namespace, 'web', 'merge', {
      spec: { hostnames: ['web.example.com', 'www.example.com'] },
    });
  },
  unrelatedEditKept(k, ctx) {
    return routeOf(k, ctx.namespace).spec.hostnames?.includes('www.example.com') === true;
  },
  verifies: true,
  matches: true,
  usesApi: true,
  config: { httpRoute: 'web' },
});

describe('gatewayApi router on a shared route', () => {
  let k: KubeSandbox;
  let n = 0;

  beforeAll(async () => {
    k = await startKubeSandbox();
  }, 60_000);

  afterAll(async () => {
    await k?.close();
  });

  it('changes only the rules that send to its Services, keeps every other field, and puts its match rule first', async () => {
    const client = k.client();
    const ctx = await prepare(k, client, k.namespace(`shared-${++n}`));
    const before = routeOf(k, ctx.namespace);
    const router = new GatewayApiRouter({ httpRoute: 'web' }, client);
    await router.setTraffic(ctx, weighted(10));
    await router.setTraffic(ctx, {
      weight: 10,
      matches: [
        { on: 'header', name: 'x-beta', type: 'Exact', value: '1' },
        { on: 'cookie', name: 'canary', type: 'Exact', value: 'yes' },
      ],
    });
    const after = routeOf(k, ctx.namespace);
    expect(after.metadata.labels).toEqual({ team: 'shop' });
    expect(after.spec.hostnames).toEqual(before.spec.hostnames);
    expect(after.spec.parentRefs).toEqual(before.spec.parentRefs);
    expect(after.spec.rules).toHaveLength(3);
    expect(after.spec.rules[0]).toEqual({
      matches: [
        { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-beta', value: '1' }] },
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [{ type: 'RegularExpression', name: 'Cookie', value: cookieRegex('canary', 'yes') }],
        },
      ],
      filters: FILTERS,
      backendRefs: [{ group: '', kind: 'Service', name: 'web-canary', port: 80, weight: 1 }],
    });
    expect(after.spec.rules[1]).toEqual({
      ...before.spec.rules[0],
      backendRefs: [
        { group: '', kind: 'Service', name: 'web', port: 80, weight: 90 },
        { group: '', kind: 'Service', name: 'web-canary', port: 80, weight: 10 },
      ],
    });
    expect(after.spec.rules[2]).toEqual(before.spec.rules[1]);

    await router.reset(ctx);
    const reset = routeOf(k, ctx.namespace);
    expect(reset.spec.rules).toHaveLength(2);
    expect(reset.spec.rules[0].backendRefs?.map((b) => [b.name, b.weight])).toEqual([
      ['web', 100],
      ['web-canary', 0],
    ]);
    expect(reset.spec.rules[1]).toEqual(before.spec.rules[1]);
  });

  it('names a missing route with RouteNotFoundError, before writing anything', async () => {
    const client = k.client();
    const ns = k.namespace(`missing-${++n}`);
    const ctx: RouterContext = {
      namespace: ns,
      app: 'web',
      services: { stable: 'web', new: 'web-canary' },
      port: 80,
    };
    const router = new GatewayApiRouter({ httpRoute: 'nope' }, client);
    const err = await router.setTraffic(ctx, weighted(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouteNotFoundError);
    expect(err).toMatchObject({ code: 'ROUTE_NOT_FOUND', namespace: ns, route: 'nope' });
    await expect(router.verify(ctx, weighted(5))).rejects.toBeInstanceOf(RouteNotFoundError);
    await expect(router.reset(ctx)).rejects.toBeInstanceOf(RouteNotFoundError);
    expect(writesIn(k.sb, ns)).toHaveLength(0);
  });

  it('refuses a route none of whose rules send to the stable Service with RouteHasNoServiceRuleError', async () => {
    const client = k.client();
    const ns = k.namespace(`unrelated-${++n}`);
    k.sb.registry.create(ROUTES, ns, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: ns },
      spec: { rules: [STATIC_RULE] },
    });
    const ctx: RouterContext = {
      namespace: ns,
      app: 'web',
      services: { stable: 'web', new: 'web-canary' },
      port: 80,
    };
    const router = new GatewayApiRouter({ httpRoute: 'web' }, client);
    await expect(router.setTraffic(ctx, weighted(5))).rejects.toBeInstanceOf(RouteHasNoServiceRuleError);
    await expect(router.verify(ctx, weighted(0))).resolves.toBe(false);
    expect(writesIn(k.sb, ns)).toHaveLength(0);
  });
});
