/** Redis for tests: the run's shared server (test/globalSetup.ts), a key prefix of the test's own. */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run tests through jest (test/globalSetup.ts starts Redis)');
  return url;
}

/** A fresh connection and a prefix no other test uses; `cleanup()` deletes the prefix's keys and disconnects. */
export async function isolatedRedis(name: string): Promise<{ redis: Redis; prefix: string; cleanup(): Promise<void> }> {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const prefix = `test-${name}-${randomBytes(4).toString('hex')}`;
  return {
    redis,
    prefix,
    cleanup: async () => {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
