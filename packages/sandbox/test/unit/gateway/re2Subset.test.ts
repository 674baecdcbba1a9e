import { compileMatch, MatchCompileError } from '../../../src/gateway/matching';
import { re2Refusal } from '../../../src/gateway/re2Subset';
import { type RouteSnapshot, RouteTable } from '../../../src/gateway/routeTable';
import { httpRoute, ref, service } from './objects';

describe('re2Refusal: what JavaScript accepts and RE2 does not', () => {
  it.each([
    ['foo(?=bar)', 'lookahead "(?="'],
    ['foo(?!bar)', 'negative lookahead "(?!"'],
    ['(?<=a)b', 'lookbehind "(?<="'],
    ['(?<!a)b', 'negative lookbehind "(?<!"'],
    ['(a)\\1', 'backreference \\1'],
    ['(a)(b)(c)(d)(e)(f)(g)(h)(i)\\9', 'backreference \\9'],
    ['(a)\\8', 'backreference \\8'],
    ['(?<n>a)\\k<n>', 'named backreference'],
  ])('refuses %s (%s)', (pattern, what) => {
    expect(re2Refusal(pattern)).toContain(what);
  });

  it.each([
    '[0-1][0-9a-f]{2}.*',
    '^(?:beta|gamma)$',
    '(?:a|b)+',
    '\\(?=not a group',
    '[(?=]x',
    '[\\]](?:y)',
    '\\12',
    '\\0',
    '\\\\1',
    'a\\d\\w\\s',
  ])('accepts %s', (pattern) => {
    expect(re2Refusal(pattern)).toBeUndefined();
  });

  it('turns a refused pattern into a compile error naming the field, like a bad one', () => {
    expect(() =>
      compileMatch({ headers: [{ type: 'RegularExpression', name: 'x', value: 'a(?=b)' }] }, 'r.matches[0]'),
    ).toThrow(MatchCompileError);
    expect(() => compileMatch({ path: { type: 'RegularExpression', value: '/(a)\\1' } }, 'r.matches[0]')).toThrow(
      /r\.matches\[0\]\.path\.value: backreference \\1 at offset 4 is not RE2 syntax/,
    );
  });

  it('drops the match from the table and lists it in problems; the rule’s other matches still route', () => {
    const t = new RouteTable({
      services: [service('shop', 'a')],
      endpointSlices: [],
      httpRoutes: [
        httpRoute('shop', 'r', [
          {
            matches: [
              { headers: [{ type: 'RegularExpression', name: 'x-user', value: '(?!admin).*' }] },
              { path: { type: 'PathPrefix', value: '/ok' } },
            ],
            backendRefs: [ref('a')],
          },
        ]),
      ],
      pods: [],
    } as unknown as RouteSnapshot);
    expect(t.problems).toEqual([
      expect.stringMatching(/shop\/r spec\.rules\[0\]\.matches\[0\]\.headers\[0\]\.value: negative lookahead/),
    ]);
    const req = { host: 'x', method: 'GET', query: new URLSearchParams() };
    expect(t.decide({ ...req, path: '/', headers: { 'x-user': 'bob' } }).kind).toBe('none');
    expect(t.decide({ ...req, path: '/ok', headers: {} }).kind).toBe('rule');
  });
});
