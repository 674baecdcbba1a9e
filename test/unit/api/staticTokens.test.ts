/** The static tokens authenticator: file validation with field paths, constant-time matching, grants; the factory. */
import { TokenFileError, UnknownImplementationError } from '../../../src/errors';
import { exitCodeFor } from '../../../src/cli/exitCodes';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthenticator } from '../../../src/api/auth/factory';
import { StaticTokenAuthenticator } from '../../../src/api/auth/staticTokens';

const CI = 'ci-token-abcdefghijklmnop';
const READER = 'reader-token-abcdefghijk';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

const YAML_FILE = `
tokens:
  - token: ${CI}
    subject: ci-shop
    namespaces: [shop, payments]
    verbs: [read, write, operate]
  - tokenSha256: ${sha(READER)}
    subject: dashboard
    namespaces: ['*']
    verbs: [read]
`;

function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenFileError);
    return (e as TokenFileError).problems;
  }
  throw new Error('expected a TokenFileError');
}

describe('StaticTokenAuthenticator', () => {
  const auth = StaticTokenAuthenticator.fromText(YAML_FILE, 'tokens.yaml');

  it('maps plain and sha256 tokens to their principals, and nothing else', async () => {
    expect(auth.size).toBe(2);
    expect(await auth.authenticate(CI)).toEqual({
      subject: 'ci-shop',
      namespaces: ['shop', 'payments'],
      verbs: ['read', 'write', 'operate'],
    });
    expect(await auth.authenticate(READER)).toEqual({ subject: 'dashboard', namespaces: '*', verbs: ['read'] });
    for (const wrong of ['', CI.slice(0, -1), `${CI}x`, sha(READER), CI.toUpperCase()])
      expect(await auth.authenticate(wrong)).toBeUndefined();
  });

  it('authorizes only the granted verbs in the granted namespaces', async () => {
    const ci = await auth.authenticate(CI);
    const reader = await auth.authenticate(READER);
    if (!ci || !reader) throw new Error('tokens did not authenticate');
    expect(await auth.authorize(ci, 'write', 'shop')).toBe(true);
    expect(await auth.authorize(ci, 'operate', 'payments')).toBe(true);
    expect(await auth.authorize(ci, 'read', 'other')).toBe(false);
    expect(await auth.authorize(reader, 'read', 'anything')).toBe(true);
    expect(await auth.authorize(reader, 'write', 'shop')).toBe(false);
    expect(await auth.authorize(reader, 'operate', 'shop')).toBe(false);
  });

  it('refuses bad files with the field path of every problem', () => {
    expect(
      problemsOf(
        () =>
          new StaticTokenAuthenticator({
            tokens: [{ token: 'short', subject: 'x', namespaces: ['a'], verbs: ['read'] }],
          }),
      ),
    ).toEqual([{ path: 'tokens[0].token', message: 'expected a token of at least 16 characters' }]);
    const many = problemsOf(
      () =>
        new StaticTokenAuthenticator({
          tokens: [{ token: CI, subject: '', namespaces: [], verbs: ['delete'], extra: 1 }],
        }),
    );
    expect(many.map((p) => p.path).sort()).toEqual([
      'tokens[0].extra',
      'tokens[0].namespaces',
      'tokens[0].subject',
      'tokens[0].verbs[0]',
    ]);
    expect(
      problemsOf(
        () =>
          new StaticTokenAuthenticator({
            tokens: [{ token: CI, tokenSha256: sha(CI), subject: 's', namespaces: ['a'], verbs: ['read'] }],
          }),
      ),
    ).toEqual([{ path: 'tokens[0]', message: 'expected exactly one of token or tokenSha256' }]);
    expect(
      problemsOf(
        () =>
          new StaticTokenAuthenticator({
            tokens: [{ tokenSha256: 'abc', subject: 's', namespaces: ['a'], verbs: ['read'] }],
          }),
      )[0].path,
    ).toBe('tokens[0].tokenSha256');
    expect(
      problemsOf(
        () =>
          new StaticTokenAuthenticator({
            tokens: [{ token: CI, subject: 's', namespaces: ['Not_A_Namespace'], verbs: ['read'] }],
          }),
      )[0].path,
    ).toBe('tokens[0].namespaces[0]');
    expect(
      problemsOf(
        () =>
          new StaticTokenAuthenticator({
            tokens: [{ token: CI, subject: 's', namespaces: ['*', 'a'], verbs: ['read'] }],
          }),
      )[0].path,
    ).toBe('tokens[0].namespaces[0]');
    expect(problemsOf(() => new StaticTokenAuthenticator({}))).toEqual([
      { path: 'tokens', message: 'required: expected a list of tokens' },
    ]);
  });

  it('refuses the same token twice, even once plain and once hashed', () => {
    const grant = { subject: 's', namespaces: ['a'], verbs: ['read'] };
    expect(
      problemsOf(
        () =>
          new StaticTokenAuthenticator({
            tokens: [
              { token: CI, ...grant },
              { tokenSha256: sha(CI), ...grant },
            ],
          }),
      ),
    ).toEqual([{ path: 'tokens[1]', message: 'the same token as tokens[0]' }]);
  });

  it('reports YAML syntax errors and unreadable files as bad input', () => {
    expect(problemsOf(() => StaticTokenAuthenticator.fromText('tokens: [ {', 'x.yaml'))[0].message).toMatch(
      /^not valid YAML/,
    );
    let err: unknown;
    try {
      StaticTokenAuthenticator.fromFile('/nonexistent/tokens.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenFileError);
    expect(exitCodeFor(err)).toBe(2);
  });

  it('compares against every grant (no early exit): the match is the same whatever its position', async () => {
    const grants = Array.from({ length: 50 }, (_, i) => ({
      token: `token-number-${String(i).padStart(8, '0')}`,
      subject: `s${i}`,
      namespaces: ['a'],
      verbs: ['read'],
    }));
    const many = new StaticTokenAuthenticator({ tokens: grants });
    expect((await many.authenticate('token-number-00000000'))?.subject).toBe('s0');
    expect((await many.authenticate('token-number-00000049'))?.subject).toBe('s49');
  });
});

describe('createAuthenticator', () => {
  it('builds staticTokens from a file or inline tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ramp-tokens-'));
    try {
      writeFileSync(join(dir, 'tokens.yaml'), YAML_FILE);
      const fromFile = createAuthenticator({ kind: 'staticTokens', file: join(dir, 'tokens.yaml') });
      expect((await fromFile.authenticate(CI))?.subject).toBe('ci-shop');
      const inline = createAuthenticator({
        kind: 'staticTokens',
        tokens: [{ token: CI, subject: 'inline', namespaces: ['*'], verbs: ['read'] }],
      });
      expect((await inline.authenticate(CI))?.subject).toBe('inline');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown kinds with the known ones, and says where kubernetes comes from', () => {
    expect(() => createAuthenticator({ kind: 'ldap' })).toThrow(UnknownImplementationError);
    expect(() => createAuthenticator({ kind: 'ldap' })).toThrow(/expected one of: staticTokens/);
    expect(() => createAuthenticator({ kind: 'kubernetes' })).toThrow(/Helm chart/);
  });
});
