import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureRedis, redisAnswers, redisNotFound, type RedisHandle } from '../../../src/redis';
import { MissingBinaryError } from '../../../src/errors/missingBinaryError';
import { freePort } from '../../../src/util/ports';
import { isAlive } from '../../../src/util/processes';

jest.setTimeout(30_000);

function pidFiles(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'pids'));
  } catch {
    return [];
  }
}

function redisPid(stateDir: string): number {
  return Number(readFileSync(join(stateDir, 'pids', 'redis.pid'), 'utf8').split(' ')[0]);
}

describe('ensureRedis', () => {
  const dirs: string[] = [];
  const handles: RedisHandle[] = [];
  let blocker: Server | undefined;
  const savedUrl = process.env.REDIS_URL;

  function stateDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'ramp-redis-'));
    dirs.push(d);
    return d;
  }

  async function bogusUrl(): Promise<string> {
    return `redis://127.0.0.1:${await freePort()}`; // nothing listens there
  }

  afterEach(async () => {
    process.env.REDIS_URL = savedUrl;
    if (savedUrl === undefined) delete process.env.REDIS_URL;
    await Promise.all(handles.splice(0).map((h) => h.close()));
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
    for (const d of dirs.splice(0)) {
      expect(pidFiles(d)).toEqual([]);
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('starts a redis-server when none answers, and close() stops it', async () => {
    const dir = stateDir();
    const redis = await ensureRedis({ stateDir: dir, url: await bogusUrl() });
    handles.push(redis);
    expect(redis.started).toBe(true);
    const pid = redisPid(dir);
    expect(isAlive(pid)).toBe(true);

    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await client.set('ramp:test', 'ok');
      expect(await client.get('ramp:test')).toBe('ok');
    } finally {
      client.disconnect();
    }

    await Promise.all([redis.close(), redis.close()]);
    expect(isAlive(pid)).toBe(false);
    expect(await redisAnswers(redis.url)).toBe(false);
    expect(pidFiles(dir)).toEqual([]);
  });

  it('reuses a Redis that answers, and leaves it running on close()', async () => {
    const ours = await ensureRedis({ stateDir: stateDir(), url: await bogusUrl() });
    handles.push(ours);
    const dir = stateDir();
    const reused = await ensureRedis({ stateDir: dir, url: ours.url });
    expect(reused).toMatchObject({ url: ours.url, started: false });
    expect(pidFiles(dir)).toEqual([]);
    await reused.close();
    expect(await redisAnswers(ours.url)).toBe(true);
  });

  it('reuses REDIS_URL when no url is given', async () => {
    const ours = await ensureRedis({ stateDir: stateDir(), url: await bogusUrl() });
    handles.push(ours);
    process.env.REDIS_URL = ours.url;
    const reused = await ensureRedis({ stateDir: stateDir() });
    expect(reused).toMatchObject({ url: ours.url, started: false });
  });

  it('moves to another port when the one it tried is taken', async () => {
    const server = createServer((socket) => socket.destroy());
    blocker = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const taken = (server.address() as { port: number }).port;
    const dir = stateDir();
    const redis = await ensureRedis({ stateDir: dir, url: await bogusUrl(), port: taken });
    handles.push(redis);
    expect(redis.started).toBe(true);
    expect(redis.url).not.toBe(`redis://127.0.0.1:${taken}`);
    expect(await redisAnswers(redis.url)).toBe(true);
    expect(readFileSync(join(dir, 'redis', 'redis.log'), 'utf8')).toMatch(/address already in use/i);
  });

  it('says what to do when redis-server is missing', async () => {
    const dir = stateDir();
    const binary = join(dir, 'no-such-redis-server');
    const err = await ensureRedis({ stateDir: dir, url: await bogusUrl(), binary }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect((err as Error).message).toBe(
      `redis-server not found at ${binary}: install it (Debian: apt-get install redis-server) or set REDIS_URL to a running Redis`,
    );
    expect(redisNotFound('redis-server').message).toBe(
      'redis-server not found: install it (Debian: apt-get install redis-server) or set REDIS_URL to a running Redis',
    );
  });
});
