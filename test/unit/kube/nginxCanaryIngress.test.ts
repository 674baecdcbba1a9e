import fc from 'fast-check';
import { RouterUnsupportedError } from '../../../src/errors';
import type { Ingress } from '../../../src/kube/routers/nginxIngress/ingress';
import {
  canaryAnnotations,
  type CanaryIngressRefs,
  desiredCanaryIngress,
  isStableOnlyIngress,
  sameAsDesired,
  stickyProblem,
  withDesired,
  withStableOnly,
} from '../../../src/kube/routers/nginxIngress/canaryIngress';
import type { Traffic, TrafficMatch } from '../../../src/strategies/traffic';

const N = 'nginx.ingress.kubernetes.io/';
const refs: CanaryIngressRefs = {
  namespace: 'shop',
  app: 'web',
  ingress: 'web',
  stable: 'web',
  canary: 'web-canary',
  port: 80,
};
const header = (name: string, type: TrafficMatch['type'], value: string): TrafficMatch => ({
  on: 'header',
  name,
  type,
  value,
});
const cookie = (name: string, value: string, type: TrafficMatch['type'] = 'Exact'): TrafficMatch => ({
  on: 'cookie',
  name,
  type,
  value,
});

/** The annotations without the nginx prefix, for reading. */
function short(t: Traffic): Record<string, string> {
  return Object.fromEntries(Object.entries(canaryAnnotations(t)).map(([k, v]) => [k.replace(N, ''), v]));
}

describe('canaryAnnotations', () => {
  it('writes the weight, and legacy affinity unless the split is sticky', () => {
    expect(short({ weight: 30, matches: [] })).toEqual({
      canary: 'true',
      'canary-weight': '30',
      'affinity-canary-behavior': 'legacy',
    });
    const sticky = { cookie: 'INGRESSCOOKIE', value: 'r2' };
    expect(short({ weight: 30, matches: [], sticky })['affinity-canary-behavior']).toBe('sticky');
  });

  it('one exact header is canary-by-header-value; anything else one anchored pattern on one header', () => {
    expect(short({ weight: 0, matches: [header('X-Beta', 'Exact', '1')] })).toMatchObject({
      'canary-by-header': 'x-beta',
      'canary-by-header-value': '1',
    });
    const many = short({
      weight: 0,
      matches: [
        header('x-user', 'Exact', 'a.b'),
        header('X-User', 'Prefix', 'team-'),
        header('x-user', 'RegularExpression', '[0-1][0-9a-f]{2}.*'),
      ],
    });
    expect(many['canary-by-header']).toBe('x-user');
    expect(many['canary-by-header-value']).toBeUndefined();
    expect(many['canary-by-header-pattern']).toBe('^(?:a\\.b|team-.*|(?:[0-1][0-9a-f]{2}.*))$');
    expect(short({ weight: 0, matches: [header('x', 'Exact', '')] })['canary-by-header-pattern']).toBe('^(?:)$');
  });

  it('property: the pattern, searched as nginx does, matches exactly what one of the matches does', () => {
    const matches = fc.array(
      fc.record({
        type: fc.constantFrom<TrafficMatch['type']>('Exact', 'Prefix', 'RegularExpression'),
        value: fc.stringMatching(/^[a-c.*+?()|[\]]{0,3}$/),
      }),
      { minLength: 2, maxLength: 4 },
    );
    fc.assert(
      fc.property(matches, fc.stringMatching(/^[a-c.]{0,5}$/), (ms, v) => {
        const list = ms.map((m) => header('x', m.type, m.type === 'RegularExpression' ? 'a[bc]?' : m.value));
        const pattern = short({ weight: 0, matches: list })['canary-by-header-pattern'];
        const one = (m: TrafficMatch): boolean =>
          m.type === 'Exact' ? v === m.value : m.type === 'Prefix' ? v.startsWith(m.value) : /^(?:a[bc]?)$/.test(v);
        expect(new RegExp(pattern).test(v)).toBe(list.some(one));
      }),
      { seed: 12, numRuns: 400 },
    );
  });

  it('a cookie "always" is canary-by-cookie', () => {
    expect(short({ weight: 5, matches: [cookie('beta', 'always'), cookie('beta', 'always')] })).toMatchObject({
      'canary-by-cookie': 'beta',
    });
  });

  it.each<[string, TrafficMatch[], RegExp]>([
    [
      'two header names',
      [header('x-a', 'Exact', '1'), header('x-b', 'Exact', '1')],
      /match more than one header name \(x-a, x-b\)/,
    ],
    [
      'a cookie value other than always',
      [cookie('beta', 'yes')],
      /match cookie beta=yes: .*only when the cookie is "always"/,
    ],
    ['a cookie regex', [cookie('beta', 'al.*', 'RegularExpression')], /match cookie beta~al\.\*/],
    ['two cookies', [cookie('a', 'always'), cookie('b', 'always')], /match more than one cookie \(a, b\)/],
    [
      'a query parameter',
      [{ on: 'query', name: 'beta', type: 'Exact', value: '1' }],
      /match query beta=1: .*not a query parameter/,
    ],
  ])('refuses %s with RouterUnsupportedError saying what', (_what, matches, message) => {
    expect(() => canaryAnnotations({ weight: 10, matches })).toThrow(RouterUnsupportedError);
    expect(() => canaryAnnotations({ weight: 10, matches })).toThrow(message);
  });
});

const user: Ingress = {
  metadata: {
    name: 'web',
    namespace: 'shop',
    annotations: { 'kubernetes.io/ingress.class': 'nginx', [`${N}proxy-body-size`]: '1m' },
  },
  spec: {
    ingressClassName: 'nginx',
    defaultBackend: { service: { name: 'web', port: { name: 'http' } } },
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            { path: '/static', pathType: 'Prefix', backend: { service: { name: 'cdn', port: { number: 80 } } } },
            { path: '/api', pathType: 'Exact', backend: { service: { name: 'web', port: { name: 'http' } } } },
          ],
        },
      },
      {
        host: 'cdn.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'cdn' } } }] },
      },
    ],
  },
};

describe('desiredCanaryIngress', () => {
  it('copies the stable paths (host, path, pathType), class and defaultBackend, to the canary Service', () => {
    const d = desiredCanaryIngress(user, refs, { weight: 10, matches: [] });
    const canaryBackend = { service: { name: 'web-canary', port: { number: 80 } } };
    expect(d.metadata).toEqual({
      name: 'web-canary',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/managed-by': 'ramp', 'ramp.dev/app': 'web' },
      annotations: { ...canaryAnnotations({ weight: 10, matches: [] }), 'kubernetes.io/ingress.class': 'nginx' },
    });
    expect(d.spec).toEqual({
      ingressClassName: 'nginx',
      defaultBackend: canaryBackend,
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: canaryBackend },
              { path: '/api', pathType: 'Exact', backend: canaryBackend },
            ],
          },
        },
      ],
    });
  });

  it('replaces only what Ramp owns in what it reads back, and tells a hand edit from its own', () => {
    const desired = desiredCanaryIngress(user, refs, { weight: 10, matches: [header('x-beta', 'Exact', '1')] });
    const read: Ingress = {
      ...desired,
      metadata: {
        ...desired.metadata,
        resourceVersion: '7',
        labels: { ...desired.metadata.labels, team: 'shop' },
        annotations: {
          ...desired.metadata.annotations,
          [`${N}canary-weight`]: '50',
          [`${N}canary-weight-total`]: '1000',
          note: 'kept',
        },
      },
      spec: { ...desired.spec, tls: [{ hosts: ['shop.example.com'] }] },
    };
    expect(sameAsDesired(read, desired, refs)).toBe(false);
    const fixed = withDesired(read, desired);
    expect(sameAsDesired(fixed, desired, refs)).toBe(true);
    expect(fixed.metadata.resourceVersion).toBe('7');
    expect(fixed.metadata.labels?.team).toBe('shop');
    expect(fixed.metadata.annotations?.note).toBe('kept');
    expect(fixed.metadata.annotations?.[`${N}canary-weight-total`]).toBeUndefined();
    expect(fixed.spec?.tls).toEqual([{ hosts: ['shop.example.com'] }]);
    const notOurs = { ...fixed, metadata: { ...fixed.metadata, labels: { 'ramp.dev/app': 'web' } } };
    expect(sameAsDesired(notOurs, desired, refs)).toBe(false);
    const pathEdited = { ...fixed, spec: { ...fixed.spec, rules: [] } };
    expect(sameAsDesired(pathEdited, desired, refs)).toBe(false);
  });

  it('reset sets stable-only canary annotations and nothing else', () => {
    const desired = desiredCanaryIngress(user, refs, { weight: 40, matches: [cookie('beta', 'always')] });
    expect(isStableOnlyIngress(desired, refs)).toBe(false);
    const reset = withStableOnly(desired);
    expect(isStableOnlyIngress(reset, refs)).toBe(true);
    expect(reset.spec).toBe(desired.spec);
    expect(reset.metadata.annotations?.['kubernetes.io/ingress.class']).toBe('nginx');
    expect(reset.metadata.annotations?.[`${N}canary-by-cookie`]).toBeUndefined();
  });
});

/** A sticky cookie (built apart, so the literal fits StickyCookie with or without its `value`). */
function stickyOf(cookie: string): { cookie: string; value: string } {
  return { cookie, value: 'r2' };
}

describe('stickyProblem', () => {
  const withAffinity = (a: Record<string, string>): Ingress => ({
    ...user,
    metadata: { ...user.metadata, annotations: a },
  });

  it('needs cookie affinity on the main Ingress, under the sticky cookie’s name', () => {
    expect(stickyProblem(user, stickyOf('ramp-sticky'))).toMatch(
      /Ingress shop\/web has no nginx\.ingress\.kubernetes\.io\/affinity: cookie/,
    );
    const ingressCookie = withAffinity({ [`${N}affinity`]: 'cookie' });
    expect(stickyProblem(ingressCookie, stickyOf('INGRESSCOOKIE'))).toBeUndefined();
    expect(stickyProblem(ingressCookie, stickyOf('ramp-sticky'))).toMatch(
      /the session affinity cookie of Ingress shop\/web is INGRESSCOOKIE/,
    );
    const named = withAffinity({ [`${N}affinity`]: 'cookie', [`${N}session-cookie-name`]: 'ramp-sticky' });
    expect(stickyProblem(named, stickyOf('ramp-sticky'))).toBeUndefined();
  });
});
