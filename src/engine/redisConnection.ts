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
  const sentinel = parseSentinelUrl(url);
  if (sentinel)
    return new Redis({
      ...sentinel,
      ...redisOptions(options),
      // Follow a failover at once (the Sentinels announce it), and resend a write the demoted master refused.
      failoverDetector: true,
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    });
  return new Redis(url, redisOptions(options));
}

/** What a `redis+sentinel://` URL says: where the Sentinels are and which master to ask them for. */
export interface SentinelConfig {
  sentinels: { host: string; port: number }[];
  /** The master's name, as the Sentinels know it. */
  name: string;
  username?: string;
  password?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
  db?: number;
  /** TLS to the master and replicas (`rediss+sentinel://`), and to the Sentinels too with `sentinelTls=true`. */
  tls?: Record<string, never>;
  enableTLSForSentinelMode?: boolean;
  sentinelTLS?: Record<string, never>;
}

const SENTINEL_SCHEMES = ['redis+sentinel:', 'rediss+sentinel:'];
const SENTINEL_PARAMS = ['db', 'sentinelUsername', 'sentinelPassword', 'sentinelTls'];

/**
 * Reads `redis+sentinel://[user:password@]host[:port][,host[:port]…]/master[?db=N&sentinelPassword=…]`
 * (`rediss+sentinel://` for TLS): the Sentinel form of the one URL Ramp takes, so every place that
 * passes a Redis URL (flags, the REDIS_URL Secret of the chart) can name a Sentinel set-up. Undefined
 * for any other URL; an InvalidOptionError naming what is wrong for a bad Sentinel URL. The password in
 * the userinfo is the master's; the Sentinels' own comes from `sentinelPassword`.
 */
export function parseSentinelUrl(url: string): SentinelConfig | undefined {
  const scheme = SENTINEL_SCHEMES.find((s) => url.startsWith(`${s}//`));
  if (!scheme) return undefined;
  const bad = (why: string) =>
    new InvalidOptionError('redis-url', `${why} (expected ${scheme}//[user:password@]host:port[,host:port…]/master)`);
  const rest = url.slice(scheme.length + 2);
  const at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length : rest.indexOf('/'));
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const afterAuth = rest.slice(at + 1);
  const slash = afterAuth.indexOf('/');
  if (slash < 0) throw bad('no master name');
  const hosts = afterAuth.slice(0, slash);
  const [path, query = ''] = afterAuth.slice(slash + 1).split('?', 2);
  const name = decodeURIComponent(path);
  if (!name) throw bad('no master name');
  const sentinels = hosts.split(',').map((h) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(h);
    const port = Number(m?.[2] ?? 26379);
    if (!m || port < 1 || port > 65535) throw bad(`"${h}" is not a host[:port]`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
  const config: SentinelConfig = { sentinels, name };
  if (auth) {
    const colon = auth.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : auth);
    if (user) config.username = user;
    if (colon >= 0) config.password = decodeURIComponent(auth.slice(colon + 1));
  }
  const params = new URLSearchParams(query);
  for (const key of params.keys())
    if (!SENTINEL_PARAMS.includes(key)) throw bad(`unknown parameter "${key}" (known: ${SENTINEL_PARAMS.join(', ')})`);
  const db = params.get('db');
  if (db !== null) {
    if (!/^\d{1,2}$/.test(db)) throw bad(`db "${db}" is not a database number`);
    config.db = Number(db);
  }
  const sentinelUsername = params.get('sentinelUsername');
  if (sentinelUsername) config.sentinelUsername = sentinelUsername;
  const sentinelPassword = params.get('sentinelPassword');
  if (sentinelPassword) config.sentinelPassword = sentinelPassword;
  if (scheme === 'rediss+sentinel:') config.tls = {};
  if (params.get('sentinelTls') === 'true') {
    config.enableTLSForSentinelMode = true;
    config.sentinelTLS = {};
  }
  return config;
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
