import type { RedisHandle } from '@ramp/sandbox';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __rampTestRedis?: RedisHandle }).__rampTestRedis?.close();
}
