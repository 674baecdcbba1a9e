/**
 * The sandbox's Redis: the one at REDIS_URL when it answers, else a `redis-server` of our own on a free
 * port, with nothing persisted, stopped again by `close()`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ProcessTracker } from './util/processes';
import { launchOnFreePort } from './util/serverProcess';
import { MissingBinaryError } from './errors/missingBinaryError';

export interface EnsureRedisOptions {
  /** Our files go to `<stateDir>/redis/`. */
  stateDir: string;
  /** Redis to reuse if it answers; default `process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'`. */
  url?: string;
  /** Default: a tracker on `stateDir`. */
  tracker?: ProcessTracker;
  /** Default: `redis-server` on the PATH. */
  binary?: string;
  /** Port to try first when we start one; another free one is used if it is taken. */
  port?: number;
  /** How long to wait for a started server to answer PING; default 15 000. */
  readyTimeoutMs?: number;
}

/** A Redis to use, and whether we started it (then `close()` stops it; otherwise it does nothing). */
export interface RedisHandle {
  url: string;
  started: boolean;
  close(): Promise<void>;
}

const DEFAULT_BINARY = 'redis-server';

/** redis-server is missing or cannot be run, and no Redis answered.  */
/** The one-line error for a missing redis-server, saying what to do. */
export function redisNotFound(binary: string, cause?: unknown): MissingBinaryError {
  return new MissingBinaryError(
    'redis-server',
    'install it (Debian: apt-get install redis-server) or set REDIS_URL to a running Redis',
    { cause, path: binary === DEFAULT_BINARY ? undefined : binary },
  );
}

/** True when a Redis at `url` answers PING within `timeoutMs`; never throws. */
export async function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    disconnectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Without a listener ioredis logs "Unhandled error event" for a refused connection.
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  // A socket that accepts but never replies would hold connect() past connectTimeout; bound it.
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs * 2);
  });
  const ping = (async () => {
    await client.connect();
    return (await client.ping()) === 'PONG';
  })().catch(() => false);
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
    // disconnect() on a connection that already failed arms a timer that nothing clears.
    if (client.status !== 'end') client.disconnect();
  }
}

/** Reuses the Redis at `opts.url` if it answers PING; otherwise starts `redis-server` on a free port. */
export async function ensureRedis(opts: EnsureRedisOptions): Promise<RedisHandle> {
  const url = opts.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return { url, started: false, close: () => Promise.resolve() };

  const dir = join(opts.stateDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const tracker = opts.tracker ?? new ProcessTracker(opts.stateDir);
  const binary = opts.binary ?? DEFAULT_BINARY;
  const { child, port } = await launchOnFreePort(
    {
      tracker,
      name: 'redis',
      program: 'redis-server',
      binary,
      // Nothing persisted: the sandbox's Redis lives as long as the sandbox.
      args: (p) => ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      logFile: join(dir, 'redis.log'),
      ready: (p) => redisAnswers(`redis://127.0.0.1:${p}`),
      addressInUse: /address already in use/i,
      notFound: (cause) => redisNotFound(binary, cause),
      readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
    },
    opts.port,
  );
  let closing: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    started: true,
    close: () => (closing ??= tracker.stop(child)),
  };
}
