/**
 * While Redis is down the API answers at once with 503 NOT_READY (which the CLI retries) instead of
 * holding requests until Redis is back; when it is back, requests are served again. Runs its own
 * redis-server, so stopping it disturbs no other test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ensureRedis, type RedisHandle, waitFor } from '@ramp/sandbox';
import { bearer, startApi, TOKENS, type ApiHarness } from './apiHarness';
import { smallPlanInput } from './records';

/** A request that Redis commands would hold indefinitely is a hang: give up long before the test does. */
const HANG_MS = 10_000;
const NOBODY = 'redis://127.0.0.1:1';

let dir: string;
let redis: RedisHandle;
let stopped: number | undefined;
let h: ApiHarness;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ramp-redis-down-'));
  redis = await ensureRedis({ stateDir: dir, url: NOBODY });
  h = await startApi('redis-down', { redisUrl: redis.url });
  await h.engine.deps.queue.queue.waitUntilReady();
});
afterAll(async () => {
  // A test that failed with Redis down: the engine's close would wait for it forever.
  if (stopped !== undefined) redis = await ensureRedis({ stateDir: dir, url: NOBODY, port: stopped });
  await h?.close();
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

const admin = bearer(TOKENS.admin);
const LIST = '/api/v1/namespaces/down/rollouts';

it('refuses with 503 NOT_READY while Redis is down, writes nothing, and serves again once it is back', async () => {
  await request(h.app).get(LIST).set(admin).timeout(HANG_MS).expect(200);

  const port = Number(new URL(redis.url).port);
  await redis.close();
  stopped = port;
  await waitFor(() => !h.deps.store.available, 'the engine to notice Redis is gone');

  for (const res of [
    await request(h.app).get(LIST).set(admin).timeout(HANG_MS),
    await request(h.app).post(LIST).set(admin).timeout(HANG_MS).send(smallPlanInput('down', 'web')),
    await request(h.app).post(`${LIST}/web/pause`).set(admin).timeout(HANG_MS),
  ]) {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 503, code: 'NOT_READY' });
    expect(res.body.error.message).toMatch(/redis/);
  }
  // Authentication still comes first: no token is 401, not a hint about the backend.
  expect((await request(h.app).get(LIST).timeout(HANG_MS)).status).toBe(401);
  expect((await request(h.app).get('/readyz').timeout(HANG_MS)).status).toBe(503);

  // Back on the same port: the engine's connections reconnect by themselves.
  redis = await ensureRedis({ stateDir: dir, url: NOBODY, port });
  stopped = undefined;
  expect(Number(new URL(redis.url).port)).toBe(port);
  await waitFor(() => h.deps.store.available, 'the engine to reconnect');
  const list = await request(h.app).get(LIST).set(admin).timeout(HANG_MS).expect(200);
  // The refused create left nothing behind.
  expect(list.body.items).toEqual([]);
});

it('serves a request that arrives while its first connection to Redis is still being made', async () => {
  const fresh = await startApi('redis-fresh', { redisUrl: redis.url });
  try {
    expect(fresh.deps.store.available).toBe(true);
    await request(fresh.app).get(LIST).set(admin).timeout(HANG_MS).expect(200);
  } finally {
    await fresh.close();
  }
});
