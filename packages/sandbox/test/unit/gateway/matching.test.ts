import {
  compareMatchPrecedence,
  compileMatch,
  cookieMatchRegex,
  hostnameMatches,
  hostnameSpecificity,
  MatchCompileError,
  matchesRequest,
  pathPrefixMatches,
  type RequestFacts,
  splitHostPort,
} from '../../../src/gateway/matching';

function request(path: string, extra: Partial<RequestFacts> = {}): RequestFacts {
  const [p, q] = path.split('?');
  return {
    host: 'shop.example.com',
    path: p,
    method: 'GET',
    headers: {},
    query: new URLSearchParams(q ?? ''),
    ...extra,
  };
}

describe('path matching', () => {
  it.each([
    ['/abc', '/abc', true],
    ['/abc', '/abc/', true],
    ['/abc', '/abc/def', true],
    ['/abc', '/abcd', false],
    ['/abc/', '/abc', true], // a trailing "/" on the prefix is ignored
    ['/abc/', '/abcd', false],
    ['/', '/anything', true],
    ['/', '/', true],
    ['/abc/def', '/abc', false],
  ])('PathPrefix %s against %s is %s (element by element)', (prefix, path, want) => {
    expect(pathPrefixMatches(prefix, path)).toBe(want);
  });

  it('Exact matches only the identical path', () => {
    const m = compileMatch({ path: { type: 'Exact', value: '/api' } });
    expect(matchesRequest(m, request('/api'))).toBe(true);
    expect(matchesRequest(m, request('/api/'))).toBe(false);
    expect(matchesRequest(m, request('/api/x'))).toBe(false);
  });

  it('RegularExpression must match the whole path', () => {
    const m = compileMatch({ path: { type: 'RegularExpression', value: '/users/[0-9]+' } });
    expect(matchesRequest(m, request('/users/42'))).toBe(true);
    expect(matchesRequest(m, request('/users/42/orders'))).toBe(false);
    expect(matchesRequest(m, request('/v1/users/42'))).toBe(false);
  });

  it('defaults to PathPrefix "/" and ignores the query string for paths', () => {
    const m = compileMatch({});
    expect(m.pathType).toBe('PathPrefix');
    expect(m.pathValue).toBe('/');
    expect(matchesRequest(m, request('/x?y=1'))).toBe(true);
  });

  it('refuses a bad regular expression with the field path', () => {
    expect(() => compileMatch({ path: { type: 'RegularExpression', value: '([' } }, 'r.matches[0]')).toThrow(
      MatchCompileError,
    );
    expect(() =>
      compileMatch({ headers: [{ type: 'RegularExpression', name: 'x', value: '(' }] }, 'r.matches[0]'),
    ).toThrow(/r\.matches\[0\]\.headers\[0\]\.value/);
  });
});

describe('header, query and method matching', () => {
  it('header names are case-insensitive, values exact', () => {
    const m = compileMatch({ headers: [{ name: 'X-Beta', value: '1' }] });
    expect(matchesRequest(m, request('/', { headers: { 'x-beta': '1' } }))).toBe(true);
    expect(matchesRequest(m, request('/', { headers: { 'x-beta': '10' } }))).toBe(false);
    expect(matchesRequest(m, request('/', { headers: {} }))).toBe(false);
  });

  it('every header must match; only the first entry of a repeated name counts', () => {
    const m = compileMatch({
      headers: [
        { name: 'a', value: '1' },
        { name: 'b', value: '2' },
        { name: 'A', value: 'ignored' },
      ],
    });
    expect(m.headers).toHaveLength(2);
    expect(matchesRequest(m, request('/', { headers: { a: '1', b: '2' } }))).toBe(true);
    expect(matchesRequest(m, request('/', { headers: { a: '1' } }))).toBe(false);
  });

  it('a header RegularExpression is a full match', () => {
    const m = compileMatch({ headers: [{ type: 'RegularExpression', name: 'user-agent', value: 'curl/.*' }] });
    expect(matchesRequest(m, request('/', { headers: { 'user-agent': 'curl/8.1' } }))).toBe(true);
    expect(matchesRequest(m, request('/', { headers: { 'user-agent': 'my curl/8.1' } }))).toBe(false);
  });

  it('cookieMatchRegex finds one cookie anywhere in the Cookie header, and only that value', () => {
    const m = compileMatch({
      headers: [{ type: 'RegularExpression', name: 'Cookie', value: cookieMatchRegex('canary', 'always') }],
    });
    const cookie = (c: string): RequestFacts => request('/', { headers: { cookie: c } });
    expect(matchesRequest(m, cookie('canary=always'))).toBe(true);
    expect(matchesRequest(m, cookie('a=1; canary=always'))).toBe(true);
    expect(matchesRequest(m, cookie('a=1; canary=always; b=2'))).toBe(true);
    expect(matchesRequest(m, cookie('canary=always-not'))).toBe(false);
    expect(matchesRequest(m, cookie('xcanary=always'))).toBe(false);
    expect(matchesRequest(m, cookie('canary=never'))).toBe(false);
    expect(matchesRequest(m, request('/'))).toBe(false);
  });

  it('query params match exactly, by case-sensitive name', () => {
    const m = compileMatch({ queryParams: [{ name: 'beta', value: 'yes' }] });
    expect(matchesRequest(m, request('/?beta=yes'))).toBe(true);
    expect(matchesRequest(m, request('/?Beta=yes'))).toBe(false);
    expect(matchesRequest(m, request('/?beta=no'))).toBe(false);
  });

  it('method matches exactly', () => {
    const m = compileMatch({ method: 'POST' });
    expect(matchesRequest(m, request('/', { method: 'POST' }))).toBe(true);
    expect(matchesRequest(m, request('/', { method: 'GET' }))).toBe(false);
  });
});

describe('precedence between matches', () => {
  const order = (list: Parameters<typeof compileMatch>[0][]): number[] =>
    list
      .map((m, i) => ({ m: compileMatch(m), i }))
      .sort((a, b) => compareMatchPrecedence(a.m, b.m) || a.i - b.i)
      .map((x) => x.i);

  it('Exact path first, then regular expression, then the longest prefix', () => {
    expect(
      order([
        { path: { type: 'PathPrefix', value: '/a' } },
        { path: { type: 'PathPrefix', value: '/a/b' } },
        { path: { type: 'Exact', value: '/a/b' } },
        { path: { type: 'RegularExpression', value: '/a/.*' } },
      ]),
    ).toEqual([2, 3, 1, 0]);
  });

  it('then a method, then more headers, then more query params', () => {
    expect(
      order([
        { queryParams: [{ name: 'q', value: '1' }] },
        { headers: [{ name: 'h', value: '1' }] },
        {
          headers: [
            { name: 'h', value: '1' },
            { name: 'i', value: '1' },
          ],
        },
        { method: 'GET' },
        {},
      ]),
    ).toEqual([3, 2, 1, 0, 4]);
  });
});

describe('hostnames', () => {
  it('a wildcard matches one or more labels under its suffix, never the suffix itself', () => {
    expect(hostnameMatches('*.example.com', 'foo.example.com')).toBe(true);
    expect(hostnameMatches('*.example.com', 'foo.bar.example.com')).toBe(true);
    expect(hostnameMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostnameMatches('*.example.com', 'fooexample.com')).toBe(false);
    expect(hostnameMatches('Shop.Example.com', 'shop.example.com')).toBe(true);
    expect(hostnameMatches('shop.example.com', 'www.shop.example.com')).toBe(false);
  });

  it('an exact hostname outranks any wildcard, a longer wildcard a shorter one, and no hostnames rank last', () => {
    expect(hostnameSpecificity('a.b')).toBeGreaterThan(hostnameSpecificity('*.very.long.example.com'));
    expect(hostnameSpecificity('*.shop.example.com')).toBeGreaterThan(hostnameSpecificity('*.example.com'));
    expect(hostnameSpecificity('*.com')).toBeGreaterThan(hostnameSpecificity(undefined));
  });

  it('splits Host headers into host and port', () => {
    expect(splitHostPort('Shop.Example.com:8080')).toEqual({ host: 'shop.example.com', port: 8080 });
    expect(splitHostPort('web.default.svc')).toEqual({ host: 'web.default.svc' });
    expect(splitHostPort('[::1]:80')).toEqual({ host: '[::1]', port: 80 });
    expect(splitHostPort(undefined)).toEqual({ host: '' });
  });
});
