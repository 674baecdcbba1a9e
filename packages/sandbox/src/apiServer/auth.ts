/**
 * Bearer-token authentication from a static token file in Kubernetes' own format
 * (`token,user,uid,"group1,group2"` per line), compared in constant time.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
}

interface Entry {
  digest: Buffer;
  user: UserInfo;
}

function digest(token: string): Buffer {
  // Comparing fixed-length digests keeps the comparison constant-time whatever the token's length.
  return createHash('sha256').update(token).digest();
}

export class TokenAuthenticator {
  private readonly entries: Entry[];

  constructor(tokens: { token: string; user: UserInfo }[]) {
    this.entries = tokens.map((t) => ({ digest: digest(t.token), user: t.user }));
  }

  /** The user a bearer token belongs to, or undefined. Every entry is compared, match or not. */
  authenticate(token: string): UserInfo | undefined {
    const d = digest(token);
    let found: UserInfo | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, d) && !found) found = e.user;
    return found;
  }

  static fromFile(path: string): TokenAuthenticator {
    const tokens: { token: string; user: UserInfo }[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#')) continue;
      const m = /^([^,]+),([^,]+),([^,]+)(?:,"?([^"]*)"?)?$/.exec(trimmed);
      if (!m) throw new Error(`${path}: a line is not token,user,uid[,"groups"]`);
      tokens.push({
        token: m[1],
        user: { username: m[2], uid: m[3], groups: m[4] ? m[4].split(',').filter(Boolean) : [] },
      });
    }
    return new TokenAuthenticator(tokens);
  }
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Writes a token file with one admin token (system:masters) and returns the token. */
export function writeAdminTokenFile(path: string, token = newToken()): string {
  writeFileSync(path, `${token},sandbox-admin,sandbox-admin,"system:masters,system:authenticated"\n`, { mode: 0o600 });
  return token;
}

/** Whether a user may do anything (the sandbox's only authorisation rule: system:masters is root). */
export function isAdmin(user: UserInfo): boolean {
  return user.groups.includes('system:masters');
}
