/**
 * Bearer tokens from a YAML file (or a Kubernetes Secret mounted as one):
 *
 *   tokens:
 *     - token: "…"            # or tokenSha256: <hex of sha256(token)>, so the file holds no secret
 *       subject: ci-shop
 *       namespaces: [shop]     # or ['*']
 *       verbs: [read, write, operate]
 *
 * Presented tokens are hashed and compared with every grant's hash in constant time.
 */
import { TokenFileError } from '../../errors';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { issuesToProblems } from '../../plan/parse';
import { dnsLabel } from '../../plan/schema';
import { VERBS, type Verb } from '../schemas';
import type { Authenticator, Principal } from './authenticator';

/** Shortest plain token accepted: guessable tokens are refused at load, not discovered in an incident. */
export const MIN_TOKEN_LENGTH = 16;

const grantSchema = z
  .strictObject({
    token: z
      .string({ error: 'expected the token (a string)' })
      .min(MIN_TOKEN_LENGTH, { error: `expected a token of at least ${MIN_TOKEN_LENGTH} characters` })
      .optional(),
    tokenSha256: z
      .string({ error: 'expected the sha256 of the token, 64 hex digits' })
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected the sha256 of the token, 64 hex digits' })
      .optional(),
    subject: z
      .string({ error: 'expected a subject (who holds the token)' })
      .min(1, { error: 'expected a subject (who holds the token)' }),
    namespaces: z.union(
      [
        z.tuple([z.literal('*')]),
        z.array(dnsLabel('a namespace')).min(1, { error: "expected at least one namespace, or ['*']" }),
      ],
      {
        error: "expected a list of namespaces, or ['*'] for all",
      },
    ),
    verbs: z
      .array(z.enum(VERBS, { error: `expected one of ${VERBS.join(', ')}` }))
      .min(1, { error: 'expected at least one verb' }),
  })
  .refine((g) => (g.token === undefined) !== (g.tokenSha256 === undefined), {
    error: 'expected exactly one of token or tokenSha256',
  });

export const tokenFileSchema = z.strictObject({ tokens: z.array(grantSchema, { error: 'expected a list of tokens' }) });
export type TokenFile = z.input<typeof tokenFileSchema>;

interface Grant {
  hash: Buffer;
  principal: Principal;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Grants from an already-parsed document; TokenFileError with field paths when it does not validate. */
function grantsFrom(doc: unknown, source: string): Grant[] {
  const parsed = tokenFileSchema.safeParse(doc);
  if (!parsed.success) throw new TokenFileError(source, issuesToProblems(parsed.error.issues));
  const seen = new Map<string, number>();
  return parsed.data.tokens.map((g, i) => {
    const hash = g.token !== undefined ? sha256(g.token) : Buffer.from(g.tokenSha256 ?? '', 'hex');
    const first = seen.get(hash.toString('hex'));
    if (first !== undefined)
      throw new TokenFileError(source, [{ path: `tokens[${i}]`, message: `the same token as tokens[${first}]` }]);
    seen.set(hash.toString('hex'), i);
    const namespaces = g.namespaces[0] === '*' ? '*' : Object.freeze([...g.namespaces]);
    return {
      hash,
      principal: Object.freeze({ subject: g.subject, namespaces, verbs: Object.freeze([...new Set(g.verbs)]) }),
    };
  });
}

/** Tokens held in memory, each standing for a subject with namespaces and verbs. */
export class StaticTokenAuthenticator implements Authenticator {
  private readonly grants: readonly Grant[];

  constructor(doc: unknown, source = 'tokens') {
    this.grants = grantsFrom(doc, source);
  }

  /** Reads and validates a tokens file (YAML or JSON). */
  static fromFile(path: string): StaticTokenAuthenticator {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new TokenFileError(path, [{ path: '', message: `cannot read the file: ${(err as Error).message}` }], {
        cause: err,
      });
    }
    return StaticTokenAuthenticator.fromText(text, path);
  }

  /** Parses YAML (or JSON) text as a tokens file. */
  static fromText(text: string, source = 'tokens'): StaticTokenAuthenticator {
    const doc = YAML.parseDocument(text, { prettyErrors: false });
    if (doc.errors.length)
      throw new TokenFileError(
        source,
        doc.errors.map((e) => ({ path: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })),
      );
    return new StaticTokenAuthenticator(doc.toJS(), source);
  }

  /** How many grants are loaded. */
  get size(): number {
    return this.grants.length;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const presented = sha256(token);
    let match: Principal | undefined;
    // Every grant is compared, matched or not, so the time taken says nothing about which one matched.
    for (const g of this.grants) {
      if (timingSafeEqual(presented, g.hash)) match = g.principal;
    }
    return match;
  }

  async authorize(principal: Principal, verb: Verb, namespace: string): Promise<boolean> {
    const inNamespace = principal.namespaces === '*' || principal.namespaces.includes(namespace);
    return inNamespace && principal.verbs.includes(verb);
  }
}
