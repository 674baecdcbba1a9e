import type { KubeObject } from '../../../src/apiServer/types';
import type { RequestFacts } from '../../../src/gateway/matching';
import { upstreamName } from '../../../src/gateway/ingressRoutes';
import { backendKeyOf } from '../../../src/gateway/nginxCanary';
import { type RouteDecision, type RouteSnapshot, RouteTable } from '../../../src/gateway/routeTable';
import { canaryAnnotations, endpointSlice, httpRoute, ingress, ref, service } from './objects';

function table(ingresses: KubeObject[], routes: KubeObject[] = []): RouteTable {
  const names = ['web', 'web-canary', 'web-canary-2', 'api', 'other', 'fallback', 'wild', 'wilder'];
  return new RouteTable({
    services: [...names.map((n) => service('shop', n)), service('shop', 'named', [{ name: 'web', port: 8080 }])],
    endpointSlices: names.map((n, i) =>
      endpointSlice('shop', n, `${n}-1`, 8080, [{ ip: `10.0.0.${i + 1}`, pod: `${n}-1` }]),
    ),
    httpRoutes: routes,
    ingresses,
    pods: [],
  } as unknown as RouteSnapshot);
}

function req(host: string, path = '/'): RequestFacts {
  return { host, path, method: 'GET', headers: {}, query: new URLSearchParams() };
}

/** "primary" or "primary>canary", by Service name; the decision kind otherwise. */
function where(d: RouteDecision): string {
  if (d.kind === 'ingress')
    return d.canary ? `${d.primary.backend.name}>${d.canary.backend.name}` : d.primary.backend.name;
  if (d.kind === 'service') return `service:${d.backend.name}`;
  if (d.kind === 'rule') return `route:${d.route}`;
  return 'none';
}

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-02-01T00:00:00Z';

describe('Ingress routing: hosts and paths', () => {
  const t = table([
    ingress('shop', 'main', [
      { host: 'shop.example.com', paths: [{ service: 'web' }, { path: '/api', service: 'api' }] },
      { host: 'shop.example.com', paths: [{ path: '/api/health', pathType: 'Exact', service: 'other' }] },
      { host: '*.example.com', paths: [{ service: 'wild' }] },
      { host: '*.eu.example.com', paths: [{ service: 'wilder' }] },
      { paths: [{ path: '/legacy', pathType: 'ImplementationSpecific', service: 'other' }] },
    ]),
  ]);

  it.each([
    ['shop.example.com', '/', 'web'],
    ['shop.example.com', '/cart', 'web'],
    ['shop.example.com', '/api', 'api'],
    ['shop.example.com', '/api/v1', 'api'],
    ['shop.example.com', '/apiv1', 'web'],
    ['shop.example.com', '/api/health', 'other'],
    ['shop.example.com', '/api/health/deep', 'api'],
    ['a.example.com', '/', 'wild'],
    ['a.b.example.com', '/', 'wild'],
    ['a.eu.example.com', '/', 'wilder'],
    ['example.com', '/legacy/x', 'other'],
    ['example.com', '/legacyx', 'none'],
    ['web.shop', '/', 'service:web'],
  ])('%s%s → %s', (host, path, want) => {
    expect(where(t.decide(req(host, path)))).toBe(want);
  });

  it('an HTTPRoute that matches comes first; an Ingress before a Service named by the Host', () => {
    const both = table(
      [ingress('shop', 'main', [{ paths: [{ service: 'web' }] }])],
      [
        httpRoute('shop', 'r', [
          { matches: [{ path: { type: 'PathPrefix', value: '/r' } }], backendRefs: [ref('api')] },
        ]),
      ],
    );
    expect(where(both.decide(req('api.shop', '/r/1')))).toBe('route:shop/r');
    expect(where(both.decide(req('api.shop', '/')))).toBe('web');
  });

  it('a defaultBackend serves its hosts’ other paths, and every host when the Ingress has no rules', () => {
    const t2 = table([
      ingress('shop', 'main', [{ host: 'shop.example.com', paths: [{ path: '/api', service: 'api' }] }], {
        defaultBackend: 'web',
      }),
      ingress('shop', 'catch-all', [], { defaultBackend: 'fallback', creationTimestamp: T1 }),
    ]);
    expect(where(t2.decide(req('shop.example.com', '/api')))).toBe('api');
    expect(where(t2.decide(req('shop.example.com', '/other')))).toBe('web');
    expect(where(t2.decide(req('elsewhere.example.org', '/')))).toBe('fallback');
  });

  it('the oldest Ingress keeps a host and path (ties: the name last in order)', () => {
    const mk = (name: string, svc: string, at: string): KubeObject =>
      ingress('shop', name, [{ host: 'h', paths: [{ service: svc }] }], { creationTimestamp: at });
    expect(where(table([mk('a', 'api', T1), mk('b', 'other', T0)]).decide(req('h')))).toBe('other');
    expect(where(table([mk('a', 'api', T0), mk('b', 'other', T0)]).decide(req('h')))).toBe('other');
  });

  it('a backend port may be named; a missing Service has no endpoints (a 503) and is reported', () => {
    const t2 = table([
      ingress('shop', 'main', [
        { host: 'n', paths: [{ service: 'named', port: 'web' }] },
        { host: 'gone', paths: [{ service: 'nope' }] },
      ]),
    ]);
    const named = t2.decide(req('n'));
    expect(named.kind === 'ingress' && [named.primary.name, named.primary.backend.port]).toEqual([
      'shop-named-web',
      8080,
    ]);
    const gone = t2.decide(req('gone'));
    expect(gone.kind === 'ingress' && gone.primary.backend.endpoints).toEqual([]);
    expect(t2.problems).toEqual([expect.stringContaining('service shop/nope port 80 not found')]);
  });
});

describe('Ingress routing: canary Ingresses', () => {
  const main = ingress(
    'shop',
    'main',
    [{ host: 'shop.example.com', paths: [{ service: 'web' }, { path: '/api', service: 'api' }] }],
    { creationTimestamp: T0 },
  );
  const canary = (
    name: string,
    svc: string,
    at = T1,
    path = '/',
    pathType: 'Prefix' | 'Exact' = 'Prefix',
  ): KubeObject =>
    ingress('shop', name, [{ host: 'shop.example.com', paths: [{ path, pathType, service: svc }] }], {
      annotations: canaryAnnotations({ 'canary-weight': '30' }),
      creationTimestamp: at,
    });

  it('merges into the location with the same host, path and pathType, and makes no location of its own', () => {
    const t = table([main, canary('main-canary', 'web-canary')]);
    expect(where(t.decide(req('shop.example.com', '/')))).toBe('web>web-canary');
    expect(where(t.decide(req('shop.example.com', '/api')))).toBe('api');
    const d = t.decide(req('shop.example.com'));
    expect(d.kind === 'ingress' && d.canary?.policy).toMatchObject({ weight: 30, weightTotal: 100, header: '' });
    expect(d.kind === 'ingress' && [d.canary?.name, d.canary?.backendKey]).toEqual([
      upstreamName('shop', 'web-canary', { number: 80 }),
      backendKeyOf('shop-web-canary-80'),
    ]);
  });

  it('uses only the oldest canary of a Service port', () => {
    const t = table([main, canary('b', 'web-canary-2', T1), canary('a', 'web-canary', T0)]);
    expect(where(t.decide(req('shop.example.com')))).toBe('web>web-canary');
  });

  it('applies to every location of the primary Service port, as ingress-nginx’s alternative backends do', () => {
    const shared = ingress('shop', 'main', [
      { host: 'shop.example.com', paths: [{ service: 'web' }, { path: '/cart', service: 'web' }] },
    ]);
    const t = table([shared, canary('c', 'web-canary', T1, '/cart')]);
    expect(where(t.decide(req('shop.example.com', '/')))).toBe('web>web-canary');
  });

  it('drops a canary whose path or pathType no main Ingress has, and one for a host no one serves, saying why', () => {
    const t = table([main, canary('c', 'web-canary', T1, '/', 'Exact')]);
    expect(where(t.decide(req('shop.example.com')))).toBe('web');
    expect(t.problems).toEqual([
      expect.stringContaining('canary upstream shop-web-canary-80 matches no host and path'),
    ]);
    const lone = ingress('shop', 'lone', [{ host: 'nobody', paths: [{ service: 'web-canary' }] }], {
      annotations: canaryAnnotations(),
    });
    expect(table([main, lone]).problems).toEqual([expect.stringContaining('host nobody, which no Ingress serves')]);
  });

  it('treats canary annotations without canary: "true" as an ordinary Ingress, and says so', () => {
    const half = ingress('shop', 'half', [{ host: 'half', paths: [{ service: 'web-canary' }] }], {
      annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '50' },
    });
    const t = table([main, half]);
    expect(where(t.decide(req('half')))).toBe('web-canary');
    expect(t.problems).toEqual([
      expect.stringContaining('Ingress shop/half: canary annotations configured but canary is not "true"'),
    ]);
  });

  it('a canary upstream copies the main Ingress’s cookie affinity unless affinity-canary-behavior is legacy', () => {
    const sticky = ingress('shop', 'main', [{ host: 'shop.example.com', paths: [{ service: 'web' }] }], {
      annotations: {
        'nginx.ingress.kubernetes.io/affinity': 'cookie',
        'nginx.ingress.kubernetes.io/session-cookie-name': 'ramp',
      },
      creationTimestamp: T0,
    });
    const d = table([sticky, canary('c', 'web-canary')]).decide(req('shop.example.com'));
    if (d.kind !== 'ingress') throw new Error('expected an Ingress decision');
    expect(d.primary.affinity).toEqual({
      cookie: 'ramp',
      path: undefined,
      maxAge: undefined,
      expires: undefined,
      locations: new Map([['shop.example.com', ['/']]]),
    });
    expect(d.canary?.affinity).toEqual(d.primary.affinity);

    const legacy = ingress('shop', 'c', [{ host: 'shop.example.com', paths: [{ service: 'web-canary' }] }], {
      annotations: canaryAnnotations({ 'affinity-canary-behavior': 'legacy' }),
      creationTimestamp: T1,
    });
    const d2 = table([sticky, legacy]).decide(req('shop.example.com'));
    expect(d2.kind === 'ingress' && [d2.primary.affinity?.cookie, d2.canary?.affinity]).toEqual(['ramp', undefined]);
    const plain = table([main, canary('c', 'web-canary')]).decide(req('shop.example.com'));
    expect(plain.kind === 'ingress' && [plain.primary.affinity, plain.canary?.affinity]).toEqual([
      undefined,
      undefined,
    ]);
  });
});
