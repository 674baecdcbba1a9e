import { Balancer } from '../../../src/gateway/backends';
import { compileFilters, concatFilters, modifyHeaders, NO_FILTERS } from '../../../src/gateway/filters';
import { type RouteSnapshot, RouteTable } from '../../../src/gateway/routeTable';
import { endpointSlice, httpRoute, ref, service } from './objects';

const setCookie = (value: string): unknown => ({
  type: 'ResponseHeaderModifier',
  responseHeaderModifier: { add: [{ name: 'Set-Cookie', value }] },
});

describe('compileFilters', () => {
  it('compiles header modifiers with lower-case names, request and response apart', () => {
    const problems: string[] = [];
    const f = compileFilters(
      [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { set: [{ name: 'X-Via', value: 'gw' }], remove: ['X-Drop'] },
        },
        setCookie('a=1'),
      ],
      'r',
      problems,
    );
    expect(problems).toEqual([]);
    expect(f).toEqual({
      request: [{ set: [{ name: 'x-via', value: 'gw' }], add: [], remove: ['x-drop'] }],
      response: [{ set: [], add: [{ name: 'set-cookie', value: 'a=1' }], remove: [] }],
    });
  });

  it('ignores filter types it does not implement and malformed ones, naming each in problems', () => {
    const problems: string[] = [];
    const f = compileFilters(
      [
        { type: 'RequestRedirect', requestRedirect: { scheme: 'https' } },
        { type: 'ResponseHeaderModifier' },
        { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x' }] } },
        'junk',
      ],
      'ns/r spec.rules[0].filters',
      problems,
    );
    expect(f).toBe(NO_FILTERS);
    expect(problems).toEqual([
      'ns/r spec.rules[0].filters[0]: filter type RequestRedirect is not implemented by the sandbox gateway (ignored)',
      'ns/r spec.rules[0].filters[1]: a ResponseHeaderModifier filter without responseHeaderModifier (ignored)',
      expect.stringContaining('ns/r spec.rules[0].filters[2]: not a filter the sandbox gateway can read'),
      expect.stringContaining('ns/r spec.rules[0].filters[3]: not a filter the sandbox gateway can read'),
    ]);
    expect(compileFilters(undefined, 'x', problems)).toBe(NO_FILTERS);
  });

  it('puts a rule’s filters before its backend’s', () => {
    const rule = compileFilters([setCookie('a=1')], 'r', []);
    const backend = compileFilters([setCookie('b=2')], 'b', []);
    expect(concatFilters(rule, backend).response.map((m) => m.add[0].value)).toEqual(['a=1', 'b=2']);
    expect(concatFilters(undefined, backend)).toBe(backend);
    expect(concatFilters(rule, NO_FILTERS)).toBe(rule);
  });
});

describe('modifyHeaders', () => {
  it('removes, then sets, then adds, each add a header line of its own', () => {
    const out = modifyHeaders({ 'x-a': '1', 'x-b': '2', 'set-cookie': ['s=1'], keep: 'k' }, [
      {
        remove: ['x-a'],
        set: [
          { name: 'x-b', value: 'new' },
          { name: 'x-a', value: 'back' },
        ],
        add: [
          { name: 'set-cookie', value: 'c=2' },
          { name: 'x-b', value: 'more' },
          { name: 'x-new', value: 'n' },
        ],
      },
    ]);
    expect(out).toEqual({
      'x-a': 'back',
      'x-b': ['new', 'more'],
      'set-cookie': ['s=1', 'c=2'],
      keep: 'k',
      'x-new': 'n',
    });
  });

  it('leaves the headers alone (the same object) without modifiers', () => {
    const h = { a: '1' };
    expect(modifyHeaders(h, [])).toBe(h);
  });
});

describe('filters in the route table', () => {
  const slices = [
    endpointSlice('shop', 'web', 'web-1', 8080, [{ ip: '10.0.0.1', pod: 'web-1' }]),
    endpointSlice('shop', 'web-canary', 'web-canary-1', 8080, [{ ip: '10.0.0.2', pod: 'web-canary-1' }]),
  ];
  const t = new RouteTable({
    services: [service('shop', 'web'), service('shop', 'web-canary')],
    endpointSlices: slices,
    httpRoutes: [
      httpRoute('shop', 'r', [
        {
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-rule', value: '1' }] } },
            { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
          ],
          backendRefs: [ref('web', 1), { ...ref('web-canary', 1), filters: [setCookie('canary=r2')] }],
        },
      ]),
    ],
    pods: [],
  } as unknown as RouteSnapshot);

  it('reports the unknown filter and applies a backend’s filters only when that backend is picked', () => {
    expect(t.problems).toEqual([
      'shop/r spec.rules[0].filters[1]: filter type URLRewrite is not implemented by the sandbox gateway (ignored)',
    ]);
    const d = t.decide({ host: 'x', path: '/', method: 'GET', headers: {}, query: new URLSearchParams() });
    if (d.kind !== 'rule') throw new Error(`expected a rule, got ${d.kind}`);
    const b = new Balancer();
    const picks = [b.pick(d), b.pick(d)].map((p) => (p.kind === 'endpoint' ? [p.backend.name, p.filters] : p.kind));
    const ruleOnly = { request: [{ set: [], add: [{ name: 'x-rule', value: '1' }], remove: [] }], response: [] };
    expect(picks).toEqual([
      ['web', ruleOnly],
      [
        'web-canary',
        { ...ruleOnly, response: [{ set: [], add: [{ name: 'set-cookie', value: 'canary=r2' }], remove: [] }] },
      ],
    ]);
  });
});
