/**
 * Redis connections for the engine and the key prefix every engine key lives under. One Redis holds
 * records, event streams and the BullMQ queue; the prefix keeps deployments (and tests) apart.
 */
import { InvalidOptionError } from '../errors';
import { Redis, type RedisOptions } from 'ioredis';

/** The key prefix when none is given: records under `ramp:rollout:…`, the queue under `ramp:queue:…`. */
export const DEFAULT_KEY_PREFIX = 'ramp';

/** What every engine adapter takes: a connection it does not own, and the key prefix. */
export interface RedisContext {
  connection: Redis;
  /**
   * Default `ramp`. For Redis Cluster give it a hash tag (`{ramp}`): the store's scripts touch several
   * keys at once and BullMQ needs its queue's keys in one slot.
   */
  prefix?: string;
}

export interface ConnectionOptions {
  /** Shown in `CLIENT LIST`, to tell Ramp's connections apart. */
  name?: string;
  /** Do not connect until the first command. */
  lazyConnect?: boolean;
}

/**
 * A connection suitable for BullMQ Workers and blocking reads: commands wait through reconnects
 * (maxRetriesPerRequest null) instead of failing after a few retries, which BullMQ requires.
 */
export function createRedisConnection(url: string, options: ConnectionOptions = {}): Redis {
  return new Redis(url, redisOptions(options));
}

/** The ioredis options createRedisConnection uses, for callers that build connections themselves. */
export function redisOptions(options: ConnectionOptions = {}): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: options.name,
    lazyConnect: options.lazyConnect ?? false,
  };
}

/** The prefix a context asks for, checked: empty prefixes and ':' at the ends would make odd keys. */
export function resolvePrefix(prefix: string | undefined): string {
  const p = prefix ?? DEFAULT_KEY_PREFIX;
  if (p === '' || p.startsWith(':') || p.endsWith(':'))
    throw new InvalidOptionError('prefix', `"${p}" is not a usable redis key prefix (empty, or a ":" at an end)`);
  return p;
}
