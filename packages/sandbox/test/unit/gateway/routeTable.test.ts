import type { KubeObject } from '../../../src/apiServer/types';
import { type RouteDecision, type RouteSnapshot, RouteTable, serviceFromHost } from '../../../src/gateway/routeTable';
import type { RequestFacts } from '../../../src/gateway/matching';
import { endpointSlice, httpRoute, pod, ref, service } from './objects';

function table(objects: {
  services?: KubeObject[];
  slices?: KubeObject[];
  routes?: KubeObject[];
  pods?: KubeObject[];
}): RouteTable {
  return new RouteTable({
    services: objects.services ?? [],
    endpointSlices: objects.slices ?? [],
    httpRoutes: objects.routes ?? [],
    pods: objects.pods ?? [],
  } as unknown as RouteSnapshot);
}

function req(host: string, path = '/', extra: Partial<RequestFacts> = {}): RequestFacts {
  const [p, q] = path.split('?');
  return { host, path: p, method: 'GET', headers: {}, query: new URLSearchParams(q ?? ''), ...extra };
}

/** The Service names a rule decision's backends point at (or the Service of a direct decision). */
function targets(d: RouteDecision): string[] {
  if (d.kind === 'none') return [];
  if (d.kind === 'service') return [d.backend.name];
  if (d.kind === 'ingress') return [d.primary.backend.name];
  return d.backends.map((b) => (b.target.kind === 'service' ? b.target.backend.name : `invalid: ${b.target.reason}`));
}

const svcs = ['a', 'b', 'c', 'd', 'e'].map((n) => service('shop', n));

describe('RouteTable: precedence across rules and routes', () => {
  it('Exact path beats the longest prefix, which beats a shorter one, across routes', () => {
    const t = table({
      services: svcs,
      routes: [
        httpRoute('shop', 'r1', [
          { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [ref('a')] },
        ]),
        httpRoute('shop', 'r2', [
          { matches: [{ path: { type: 'PathPrefix', value: '/api/v2' } }], backendRefs: [ref('b')] },
          { matches: [{ path: { type: 'Exact', value: '/api/v2/status' } }], backendRefs: [ref('c')] },
        ]),
      ],
    });
    expect(targets(t.decide(req('x', '/api/v1')))).toEqual(['a']);
    expect(targets(t.decide(req('x', '/api/v2/items')))).toEqual(['b']);
    expect(targets(t.decide(req('x', '/api/v2x')))).toEqual(['a']);
    expect(targets(t.decide(req('x', '/api/v2/status')))).toEqual(['c']);
    expect(t.decide(req('x', '/other')).kind).toBe('none');
  });

  it('with equal paths: a method match, then more headers, then more query params', () => {
    const t = table({
      services: svcs,
      routes: [
        httpRoute('shop', 'r', [
          { matches: [{}], backendRefs: [ref('a')] },
          { matches: [{ queryParams: [{ name: 'q', value: '1' }] }], backendRefs: [ref('b')] },
          { matches: [{ headers: [{ name: 'h', value: '1' }] }], backendRefs: [ref('c')] },
          { matches: [{ method: 'POST' }], backendRefs: [ref('d')] },
        ]),
      ],
    });
    const all = { method: 'POST', headers: { h: '1' }, query: new URLSearchParams('q=1') };
    expect(targets(t.decide(req('x', '/', all)))).toEqual(['d']);
    expect(targets(t.decide(req('x', '/', { ...all, method: 'GET' })))).toEqual(['c']);
    expect(targets(t.decide(req('x', '/', { ...all, method: 'GET', headers: {} })))).toEqual(['b']);
    expect(targets(t.decide(req('x', '/')))).toEqual(['a']);
  });

  it('ties go to the oldest route, then to namespace/name order, then to the first rule', () => {
    const rule = (svc: string): { backendRefs: { name: string; port: number }[] } => ({ backendRefs: [ref(svc)] });
    const older = table({
      services: [...svcs, service('other', 'a')],
      routes: [
        httpRoute('shop', 'zz', [rule('a')], undefined, '2024-01-01T00:00:00Z'),
        httpRoute('shop', 'aa', [rule('b')], undefined, '2024-06-01T00:00:00Z'),
      ],
    });
    expect(targets(older.decide(req('x')))).toEqual(['a']);
    const sameAge = table({
      services: svcs,
      routes: [
        httpRoute('shop', 'zz', [rule('a')], undefined, '2024-01-01T00:00:00Z'),
        httpRoute('shop', 'aa', [rule('b'), rule('c')], undefined, '2024-01-01T00:00:00Z'),
      ],
    });
    expect(targets(sameAge.decide(req('x')))).toEqual(['b']);
  });

  it('a rule matches when any of its matches does', () => {
    const t = table({
      services: svcs,
      routes: [
        httpRoute('shop', 'r', [
          {
            matches: [{ path: { type: 'Exact', value: '/one' } }, { path: { type: 'Exact', value: '/two' } }],
            backendRefs: [ref('a')],
          },
        ]),
      ],
    });
    expect(targets(t.decide(req('x', '/one')))).toEqual(['a']);
    expect(targets(t.decide(req('x', '/two')))).toEqual(['a']);
    expect(t.decide(req('x', '/three')).kind).toBe('none');
  });

  it('a match with a bad regular expression is skipped and reported; the others still route', () => {
    const t = table({
      services: svcs,
      routes: [
        httpRoute('shop', 'r', [
          {
            matches: [
              { path: { type: 'RegularExpression', value: '([' } },
              { path: { type: 'PathPrefix', value: '/ok' } },
            ],
            backendRefs: [ref('a')],
          },
        ]),
      ],
    });
    expect(t.problems).toEqual([expect.stringContaining('shop/r spec.rules[0].matches[0].path.value')]);
    expect(targets(t.decide(req('x', '/ok')))).toEqual(['a']);
  });
});

describe('RouteTable: hostnames', () => {
  const t = table({
    services: svcs,
    routes: [
      httpRoute(
        'shop',
        'exact',
        [{ matches: [{ path: { type: 'PathPrefix', value: '/cart' } }], backendRefs: [ref('a')] }],
        ['shop.example.com'],
      ),
      httpRoute('shop', 'wild', [{ backendRefs: [ref('b')] }], ['*.example.com']),
      httpRoute('shop', 'wilder', [{ backendRefs: [ref('c')] }], ['*.com']),
      httpRoute('shop', 'any', [{ matches: [{ path: { type: 'Exact', value: '/health' } }], backendRefs: [ref('d')] }]),
    ],
  });

  it('the most specific matching hostname wins over a more specific path elsewhere', () => {
    expect(targets(t.decide(req('shop.example.com', '/cart')))).toEqual(['a']);
    expect(targets(t.decide(req('api.example.com', '/health')))).toEqual(['b']);
    expect(targets(t.decide(req('deep.api.example.com', '/')))).toEqual(['b']);
    expect(targets(t.decide(req('example.com', '/')))).toEqual(['c']);
    expect(targets(t.decide(req('localhost', '/health')))).toEqual(['d']);
  });

  it('a request no rule of the most specific route matches falls to less specific routes', () => {
    expect(targets(t.decide(req('shop.example.com', '/search')))).toEqual(['b']);
  });

  it('a host no route serves gets no route', () => {
    expect(t.decide(req('localhost', '/cart')).kind).toBe('none');
  });
});

describe('RouteTable: backends and endpoints', () => {
  const objects = {
    services: [
      service('shop', 'web'),
      service('shop', 'multi', [
        { name: 'http', port: 80 },
        { name: 'admin', port: 9000 },
      ]),
      { ...service('shop', 'ext'), spec: { type: 'ExternalName', externalName: 'x.example.com' } },
    ],
    slices: [
      endpointSlice('shop', 'web', 'web-1', 8080, [
        { ip: '10.0.0.2', pod: 'web-b' },
        { ip: '10.0.0.1', pod: 'web-a' },
        { ip: '10.0.0.3', pod: 'web-c', ready: false },
        { ip: '10.0.0.4', pod: 'web-d', ready: true, terminating: true },
      ]),
      endpointSlice('shop', 'multi', 'multi-http', 8080, [{ ip: '10.0.1.1', pod: 'm' }], 'http'),
      endpointSlice('shop', 'multi', 'multi-admin', 9090, [{ ip: '10.0.1.1', pod: 'm' }], 'admin'),
    ],
    pods: [
      pod('shop', 'web-a', { 'ramp.dev/revision': 'abc123' }),
      pod('shop', 'web-b', { 'pod-template-hash': '77f9' }),
      pod('shop', 'm', {}),
    ],
  };

  it('only ready, not terminating endpoints, in a stable order, with the revision of their pod', () => {
    const backend = table(objects).serviceBackend('shop', 'web', 80);
    expect(backend).toEqual({
      namespace: 'shop',
      name: 'web',
      port: 80,
      endpoints: [
        { address: '10.0.0.1', port: 8080, podNamespace: 'shop', podName: 'web-a', revision: 'abc123' },
        { address: '10.0.0.2', port: 8080, podNamespace: 'shop', podName: 'web-b', revision: '77f9' },
      ],
    });
  });

  it('a Service port finds the slice port of the same name', () => {
    const t = table(objects);
    const admin = t.serviceBackend('shop', 'multi', 9000);
    expect(typeof admin !== 'string' && admin.endpoints.map((e) => e.port)).toEqual([9090]);
    expect(t.serviceBackend('shop', 'multi', 1234, true)).toBe('service shop/multi has no port 1234');
  });

  it('keeps weights, including 0, and marks backends that are not Services or do not exist as invalid', () => {
    const t = table({
      ...objects,
      routes: [
        httpRoute('shop', 'r', [
          {
            backendRefs: [
              ref('web', 90),
              ref('web', 0),
              ref('missing', 10),
              { name: 'x', kind: 'Bucket', group: 'storage.example.com', weight: 5 },
              { ...ref('ext'), weight: 1 },
            ],
          },
        ]),
      ],
    });
    const d = t.decide(req('anything'));
    expect(d.kind).toBe('rule');
    if (d.kind !== 'rule') return;
    expect(d.backends.map((b) => b.weight)).toEqual([90, 0, 10, 5, 1]);
    expect(targets(d)).toEqual([
      'web',
      'web',
      'invalid: service shop/missing not found',
      'invalid: backend storage.example.com/Bucket x is not a Service',
      'invalid: service shop/ext is an ExternalName service',
    ]);
  });

  it('changing a weight changes the balance key; an identical table keeps it', () => {
    const make = (w: number): string => {
      const d = table({
        ...objects,
        routes: [httpRoute('shop', 'r', [{ backendRefs: [ref('web', w), ref('multi', 100 - w)] }])],
      }).decide(req('h'));
      return d.kind === 'rule' ? d.balanceKey : '';
    };
    expect(make(90)).toBe(make(90));
    expect(make(90)).not.toBe(make(80));
  });

  it('routes a Host naming a Service directly when no HTTPRoute matches', () => {
    const t = table(objects);
    for (const host of ['web.shop.svc.cluster.local', 'web.shop.svc', 'web.shop']) {
      const d = t.decide(req(host));
      expect(d.kind === 'service' && `${d.backend.name}:${d.backend.port}:${d.backend.endpoints.length}`).toBe(
        'web:80:2',
      );
    }
    const admin = t.decide(req('multi.shop.svc', '/', { hostPort: 9000 }));
    expect(admin.kind === 'service' && admin.backend.port).toBe(9000);
    const unknownPort = t.decide(req('multi.shop.svc', '/', { hostPort: 8080 }));
    expect(unknownPort.kind === 'service' && unknownPort.backend.port).toBe(80);
    expect(t.decide(req('nope.shop.svc')).kind).toBe('none');
    expect(t.decide(req('127.0.0.1')).kind).toBe('none');
  });

  it('parses the Service host forms and nothing else', () => {
    expect(serviceFromHost('web.shop.svc.cluster.local')).toEqual({ name: 'web', namespace: 'shop' });
    expect(serviceFromHost('web.shop.svc')).toEqual({ name: 'web', namespace: 'shop' });
    expect(serviceFromHost('web.shop')).toEqual({ name: 'web', namespace: 'shop' });
    expect(serviceFromHost('web')).toBeUndefined();
    expect(serviceFromHost('a.b.c.d')).toBeUndefined();
    expect(serviceFromHost('web..svc')).toBeUndefined();
  });

  it('lists every upstream address and balance key (for pruning state)', () => {
    const t = table({ ...objects, routes: [httpRoute('shop', 'r', [{ backendRefs: [ref('web')] }])] });
    expect([...t.upstreams()].sort()).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.1.1:8080', '10.0.1.1:9090']);
    expect(t.balanceKeys().size).toBe(1);
  });
});
