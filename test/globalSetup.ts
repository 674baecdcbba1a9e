/**
 * One Redis for the whole test run: the one at REDIS_URL (default 127.0.0.1:6379) when it answers,
 * else a redis-server started here; its URL goes to every test worker through REDIS_URL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRedis } from '@ramp/sandbox';

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-test-redis-'));
  const redis = await ensureRedis({ stateDir: dir });
  process.env.REDIS_URL = redis.url;
  (globalThis as { __rampTestRedis?: typeof redis }).__rampTestRedis = redis;
}
