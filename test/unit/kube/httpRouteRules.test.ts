import fc from 'fast-check';
import type { HTTPRouteRule } from '../../../src/kube/routers/gatewayApi/httpRoute';
import {
  cookieRegex,
  escapeRegex,
  isMatchRule,
  isWeightedRule,
  MAX_MATCHES_PER_RULE,
  sameRules,
  type ServiceRefs,
  weightIs,
  withMatches,
  withWeight,
} from '../../../src/kube/routers/gatewayApi/httpRouteRules';

const refs: ServiceRefs = { namespace: 'shop', stable: 'web', canary: 'web-canary', port: 80 };
/** Gateway API RegularExpression matches are full matches (RE2 FullMatch in Envoy). */
const fullMatch = (pattern: string, s: string): boolean => new RegExp(`^(?:${pattern})$`).test(s);

const userRules: HTTPRouteRule[] = [
  {
    matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
    filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: '1' }] } }],
    backendRefs: [{ name: 'web', port: 80 }],
  },
  { matches: [{ path: { type: 'PathPrefix', value: '/static' } }], backendRefs: [{ name: 'cdn', port: 80 }] },
];

describe('withWeight', () => {
  it('sets [stable 100-w, canary w] on rules that name the stable Service and keeps everything else', () => {
    const out = withWeight(userRules, refs, 25);
    expect(out[0]).toEqual({
      ...userRules[0],
      backendRefs: [
        { name: 'web', port: 80, weight: 75 },
        { name: 'web-canary', port: 80, weight: 25 },
      ],
    });
    expect(out[1]).toBe(userRules[1]);
    expect(weightIs(out, refs, 25)).toBe(true);
    expect(weightIs(out, refs, 26)).toBe(false);
  });

  it('treats refs in another namespace or of another kind as other Services', () => {
    const rules: HTTPRouteRule[] = [
      { backendRefs: [{ name: 'web', namespace: 'other', port: 80 }] },
      { backendRefs: [{ name: 'web', kind: 'Backend', group: 'x.io' }] },
    ];
    expect(rules.some((r) => isWeightedRule(r, refs))).toBe(false);
    expect(weightIs(rules, refs, 0)).toBe(false);
  });
});

describe('withMatches', () => {
  it('puts one match rule per weighted rule first, extending its matches, filters kept, the canary its only backend', () => {
    const weighted = withWeight(userRules, refs, 10);
    const out = withMatches(weighted, refs, [
      { on: 'header', name: 'x-beta', type: 'Exact', value: '1' },
      { on: 'cookie', name: 'canary', type: 'Exact', value: 'yes' },
    ]);
    expect(out).toHaveLength(3);
    expect(out[0]).toEqual({
      matches: [
        { path: { type: 'PathPrefix', value: '/api' }, headers: [{ type: 'Exact', name: 'x-beta', value: '1' }] },
        {
          path: { type: 'PathPrefix', value: '/api' },
          headers: [{ type: 'RegularExpression', name: 'Cookie', value: cookieRegex('canary', 'yes') }],
        },
      ],
      filters: userRules[0].filters,
      backendRefs: [{ name: 'web-canary', port: 80 }],
    });
    expect(isMatchRule(out[0], refs)).toBe(true);
    expect(out.slice(1)).toEqual(weighted);
  });

  it('replaces its earlier match rules, removes them for an empty list, and is idempotent', () => {
    const once = withMatches(userRules, refs, [{ on: 'header', name: 'x-beta', type: 'Exact', value: '1' }]);
    const twice = withMatches(once, refs, [{ on: 'header', name: 'x-beta', type: 'Exact', value: '1' }]);
    expect(sameRules(once, twice, 'shop')).toBe(true);
    const other = withMatches(once, refs, [{ on: 'header', name: 'x-beta', type: 'Exact', value: '2' }]);
    expect(other.filter((r) => isMatchRule(r, refs))).toHaveLength(1);
    expect(withMatches(other, refs, [])).toEqual(userRules);
  });

  it('keeps weights when matches change, and matches when weights change', () => {
    const matched = withMatches(withWeight(userRules, refs, 30), refs, [
      { on: 'header', name: 'x-beta', type: 'Exact', value: '1' },
    ]);
    expect(weightIs(matched, refs, 30)).toBe(true);
    const reweighted = withWeight(matched, refs, 60);
    expect(reweighted[0]).toBe(matched[0]);
    expect(weightIs(reweighted, refs, 60)).toBe(true);
  });

  it('gives a rule without matches the default path match, and splits more than 8 matches over rules', () => {
    const many = Array.from({ length: MAX_MATCHES_PER_RULE + 1 }, (_, i) => ({
      on: 'header' as const,
      name: 'x-user',
      type: 'Exact' as const,
      value: String(i),
    }));
    const out = withMatches([{ backendRefs: [{ name: 'web', port: 80 }] }], refs, many);
    expect(out.filter((r) => isMatchRule(r, refs)).map((r) => r.matches?.length)).toEqual([8, 1]);
    expect(out[0].matches?.[0].path).toEqual({ type: 'PathPrefix', value: '/' });
  });
});

describe('sameRules', () => {
  it('sees a rule as written and as the API defaults it as the same', () => {
    const written: HTTPRouteRule[] = [
      {
        backendRefs: [
          { name: 'web', port: 80, weight: 90 },
          { name: 'web-canary', port: 80, weight: 10 },
        ],
      },
    ];
    const readBack: HTTPRouteRule[] = [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [
          { group: '', kind: 'Service', name: 'web', namespace: 'shop', port: 80, weight: 90 },
          { group: '', kind: 'Service', name: 'web-canary', port: 80, weight: 10 },
        ],
      },
    ];
    expect(sameRules(written, readBack, 'shop')).toBe(true);
    expect(sameRules(written, withWeight(readBack, refs, 11), 'shop')).toBe(false);
  });
});

describe('cookieRegex', () => {
  const re = cookieRegex('canary', 'yes');

  it('matches the cookie anywhere in the Cookie header', () => {
    for (const header of [
      'canary=yes',
      'a=1; canary=yes',
      'canary=yes; b=2',
      'a=1;canary=yes;b=2',
      'a=1; canary=yes; b=2',
    ])
      expect(fullMatch(re, header)).toBe(true);
  });

  it('does not match another value, another cookie whose name ends in the name, or a value that starts with it', () => {
    for (const header of ['canary=no', 'xcanary=yes', 'a=1; xcanary=yes', 'canary=yesplease', 'canary=ye', ''])
      expect(fullMatch(re, header)).toBe(false);
  });

  it('escapes regex characters in names and values', () => {
    const special = cookieRegex('a.b', escapeRegex('x+y(1)'));
    expect(fullMatch(special, 'a.b=x+y(1)')).toBe(true);
    expect(fullMatch(special, 'aXb=x+y(1)')).toBe(false);
    expect(fullMatch(special, 'a.b=xxy(1)')).toBe(false);
  });

  it('an escaped literal matches itself and only itself', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (s, t) => {
        expect(fullMatch(escapeRegex(s), t)).toBe(s === t);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
