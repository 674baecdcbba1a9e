/**
 * A Lua script run by its SHA1 (EVALSHA), loaded on demand when the server does not know it yet
 * (NOSCRIPT after a restart or failover), without touching the caller's connection the way
 * ioredis' defineCommand would.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface RedisScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
  readonly numberOfKeys: number;
}

/** A script with its SHA1 worked out once. */
export function defineScript(name: string, numberOfKeys: number, lua: string): RedisScript {
  return { name, lua, numberOfKeys, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Runs `script` with exactly `numberOfKeys` keys; the reply is the script's, untouched. */
export async function runScript(
  redis: Redis,
  script: RedisScript,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  if (keys.length !== script.numberOfKeys)
    throw new RangeError(`${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    // EVAL also caches the script, so the next EVALSHA finds it.
    return redis.eval(script.lua, keys.length, ...keys, ...args);
  }
}
