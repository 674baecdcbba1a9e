/**
 * Requests as many users send them through the sandbox gateway: each with its own headers and cookies,
 * a few at a time, each answer tagged with the revision that served it (the gateway's
 * x-sandbox-revision). Seeded user ids for gray-release tests.
 */
import http from 'node:http';
import { createRng } from '@ramp/sandbox/util/random';
import { request } from '../../packages/sandbox/test/helpers/http';

export interface Sent {
  status: number;
  /** The revision whose pod answered ('' for the gateway's own answers). */
  revision: string;
  /** The Set-Cookie headers of the answer. */
  setCookie: string[];
}

/** Sends one request per entry of `each` (its headers), `concurrency` at a time, answers in order. */
export async function sendEach(
  url: string,
  host: string,
  each: readonly Record<string, string>[],
  concurrency = 16,
): Promise<Sent[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const out: Sent[] = new Array<Sent>(each.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < each.length; i = next++) {
      const res = await request(url, { host, headers: each[i], agent });
      const cookies = res.headers['set-cookie'] ?? [];
      out[i] = { status: res.status, revision: String(res.headers['x-sandbox-revision'] ?? ''), setCookie: cookies };
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return out;
}

/** `count` random version-4 UUIDs from a seeded generator (lower case). */
export function seededUuids(count: number, seed: number): string[] {
  const rng = createRng(seed);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('');
  return Array.from(
    { length: count },
    () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rng() * 4)]}${hex(3)}-${hex(12)}`,
  );
}
