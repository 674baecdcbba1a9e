import { Balancer } from '../../../src/gateway/backends';
import type { CanaryPolicy, IngressDecision, IngressUpstream } from '../../../src/gateway/ingressTypes';
import type { RequestFacts } from '../../../src/gateway/matching';
import { parseCanary, parseGoBool, parseGoInt } from '../../../src/gateway/nginxAnnotations';
import { NginxBalancer } from '../../../src/gateway/nginxBalancer';
import { backendKeyOf, cookieValue, routesToCanary } from '../../../src/gateway/nginxCanary';
import type { ServiceBackend } from '../../../src/gateway/routeTable';

function backend(name: string, n = 1): ServiceBackend {
  return {
    namespace: 'shop',
    name,
    port: 80,
    endpoints: Array.from({ length: n }, (_, i) => ({
      address: `10.0.0.${i + 1}`,
      port: 8080,
      podNamespace: 'shop',
      podName: `${name}-${i}`,
      revision: name,
    })),
  };
}

function policy(a: Record<string, string>): CanaryPolicy {
  const p = parseCanary(
    Object.fromEntries(
      Object.entries({ canary: 'true', ...a }).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]),
    ),
  );
  expect(p.problem).toBeUndefined();
  return p.policy;
}

const AFFINITY = { cookie: 'INGRESSCOOKIE', locations: new Map([['shop.example.com', ['/']]]) };

function upstream(name: string, extra: Partial<IngressUpstream> = {}): IngressUpstream {
  return { name: `shop-${name}-80`, backend: backend(name), backendKey: backendKeyOf(`shop-${name}-80`), ...extra };
}

function decision(
  canary: Partial<IngressUpstream> | undefined,
  primary: Partial<IngressUpstream> = {},
): IngressDecision {
  return {
    kind: 'ingress',
    ingress: 'shop/web',
    serverName: 'shop.example.com',
    path: '/',
    primary: upstream('web', primary),
    ...(canary ? { canary: upstream('web-canary', canary) } : {}),
  };
}

function req(headers: Record<string, string> = {}): RequestFacts {
  return { host: 'shop.example.com', path: '/', method: 'GET', headers, query: new URLSearchParams() };
}

const never = (): number => 0.999_999; // random(100) = 100: only a weight of 100 sends to the canary
const always = (): number => 0; // random(100) = 1: any weight above 0 does

describe('which upstream: ingress-nginx’s order', () => {
  it.each<[string, Record<string, string>, Record<string, string>, boolean]>([
    [
      'header value equal',
      { 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'yes' },
      { 'x-canary': 'yes' },
      true,
    ],
    [
      'header value different: falls through to the weight',
      { 'canary-by-header': 'x-canary', 'canary-by-header-value': 'yes' },
      { 'x-canary': 'always' },
      false,
    ],
    [
      'header pattern searched, not anchored',
      { 'canary-by-header': 'x-user', 'canary-by-header-pattern': '[0-1][0-9a-f]' },
      { 'x-user': 'user-1a9' },
      true,
    ],
    [
      'anchored pattern that does not match',
      { 'canary-by-header': 'x-user', 'canary-by-header-pattern': '^(?:1a)$' },
      { 'x-user': '1a9' },
      false,
    ],
    ['header always', { 'canary-by-header': 'x-canary' }, { 'x-canary': 'always' }, true],
    ['header read with "_" as "-"', { 'canary-by-header': 'X_Canary' }, { 'x-canary': 'always' }, true],
    ['header absent', { 'canary-by-header': 'x-canary' }, {}, false],
    ['cookie always', { 'canary-by-cookie': 'canary' }, { cookie: 'a=1; Canary=always' }, true],
    ['cookie other value', { 'canary-by-cookie': 'canary' }, { cookie: 'canary=yes' }, false],
  ])('%s', (_what, annotations, headers, want) => {
    expect(routesToCanary(decision({ policy: policy(annotations) }), req(headers), never)).toBe(want);
  });

  it('"never" and a pattern that does not compile send to the primary whatever comes after', () => {
    const weight100 = { 'canary-weight': '100' };
    const d = (a: Record<string, string>): IngressDecision => decision({ policy: policy({ ...weight100, ...a }) });
    expect(routesToCanary(d({}), req(), never)).toBe(true);
    expect(routesToCanary(d({ 'canary-by-header': 'x-c' }), req({ 'x-c': 'never' }), always)).toBe(false);
    expect(routesToCanary(d({ 'canary-by-cookie': 'c' }), req({ cookie: 'c=never' }), always)).toBe(false);
    const bad = d({ 'canary-by-header': 'x-c', 'canary-by-header-pattern': '(', 'canary-by-cookie': 'c' });
    expect(routesToCanary(bad, req({ 'x-c': 'x', cookie: 'c=always' }), always)).toBe(false);
    expect(routesToCanary(bad, req({ cookie: 'c=always' }), always)).toBe(true);
    // A header value is exact: "always" means nothing once a value is set.
    const valued = d({ 'canary-by-header': 'x-c', 'canary-by-header-value': 'v', 'canary-weight': '0' });
    expect(routesToCanary(valued, req({ 'x-c': 'always' }), always)).toBe(false);
  });

  it('draws the weight as random(total) <= weight, total counting only above 100', () => {
    const at = (a: Record<string, string>, r: number): boolean =>
      routesToCanary(decision({ policy: policy(a) }), req(), () => r);
    expect(at({ 'canary-weight': '30' }, 0.29)).toBe(true); // random(100) = 30
    expect(at({ 'canary-weight': '30' }, 0.3)).toBe(false); // 31
    expect(at({ 'canary-weight': '0' }, 0)).toBe(false);
    expect(at({ 'canary-weight': '30', 'canary-weight-total': '1000' }, 0.029)).toBe(true);
    expect(at({ 'canary-weight': '30', 'canary-weight-total': '1000' }, 0.03)).toBe(false);
    expect(at({ 'canary-weight': '30', 'canary-weight-total': '50' }, 0.3)).toBe(false);
  });

  it('affinity first: to the primary beats a canary header, to the canary beats weight 0', () => {
    const p = policy({ 'canary-by-header': 'x-c', 'canary-weight': '0' });
    const d = decision({ policy: p, affinity: AFFINITY }, { affinity: AFFINITY });
    const onPrimary = `INGRESSCOOKIE=k1|${d.primary.backendKey}`;
    const onCanary = `INGRESSCOOKIE=k1|${d.canary?.backendKey}`;
    expect(routesToCanary(d, req({ 'x-c': 'always', cookie: onPrimary }), always)).toBe(false);
    expect(routesToCanary(d, req({ cookie: onCanary }), never)).toBe(true);
    // Without affinity of its own (legacy), a canary cookie does not hold.
    const legacy = decision({ policy: p }, { affinity: AFFINITY });
    expect(routesToCanary(legacy, req({ cookie: onCanary }), never)).toBe(false);
  });

  it('a canary without ready endpoints gets nothing, whatever it is asked', () => {
    const d = decision({ policy: policy({ 'canary-weight': '100' }), backend: backend('web-canary', 0) });
    expect(routesToCanary(d, req(), always)).toBe(false);
    expect(routesToCanary(decision(undefined), req(), always)).toBe(false);
  });
});

describe('annotation parsing, as Go parses', () => {
  it('reads booleans and integers the way strconv does', () => {
    expect(['1', 't', 'TRUE', 'True', 'true'].map(parseGoBool)).toEqual([true, true, true, true, true]);
    expect(['yes', 'on', ''].map(parseGoBool)).toEqual([undefined, undefined, undefined]);
    expect(['30', '+5', '-1', '3.5', '1e2', ''].map(parseGoInt)).toEqual([30, 5, -1, undefined, undefined, undefined]);
  });

  it('reads cookies by exact name for affinity, by any case for canary-by-cookie', () => {
    const h = { cookie: 'Route=a|b; canary=always' };
    expect(cookieValue(h, 'route')).toBeUndefined();
    expect(cookieValue(h, 'Route')).toBe('a|b');
    expect(cookieValue(h, 'CANARY', true)).toBe('always');
  });
});

describe('NginxBalancer: sticky endpoints and the affinity cookie', () => {
  it('gives a new client a cookie naming the upstream that served it, and keeps it on that endpoint', () => {
    const d = decision(
      { policy: policy({ 'canary-weight': '100' }), affinity: AFFINITY, backend: backend('web-canary', 3) },
      { affinity: AFFINITY },
    );
    const b = new NginxBalancer(new Balancer(), () => 0.5);
    const first = b.pick(d, req());
    if (first.kind !== 'endpoint') throw new Error(first.kind);
    expect(first.backend.name).toBe('web-canary');
    const setCookie = first.filters?.response[0].add[0];
    expect(setCookie?.name).toBe('set-cookie');
    expect(setCookie?.value).toMatch(new RegExp(`^INGRESSCOOKIE=[^|;]+\\|${d.canary?.backendKey}; Path=/; HttpOnly$`));
    const cookie = (setCookie?.value ?? '').split(';')[0];
    const again = Array.from({ length: 5 }, () =>
      b.pick({ ...d, canary: { ...(d.canary as IngressUpstream), policy: policy({}) } }, req({ cookie })),
    );
    expect(new Set(again.map((p) => (p.kind === 'endpoint' ? p.endpoint.podName : p.kind)))).toEqual(
      new Set([first.endpoint.podName]),
    );
    expect(again.every((p) => p.kind === 'endpoint' && p.filters === undefined)).toBe(true);
  });

  it('sets no cookie on a path the affinity Ingress did not name, and round-robins without affinity', () => {
    const d = { ...decision(undefined, { affinity: AFFINITY, backend: backend('web', 2) }), path: '/other' };
    const b = new NginxBalancer(new Balancer(), () => 0.5);
    const p = b.pick(d, req());
    expect(p.kind === 'endpoint' && p.filters).toBeUndefined();
    const plain = decision(undefined, { backend: backend('web', 2) });
    expect(
      [b.pick(plain, req()), b.pick(plain, req())].map((x) => (x.kind === 'endpoint' ? x.endpoint.podName : x.kind)),
    ).toEqual(['web-0', 'web-1']);
    expect(b.pick(decision(undefined, { backend: backend('web', 0) }), req()).kind).toBe('noEndpoints');
  });
});
