import { ClosedError, CorruptEventError, InvalidOptionError, InvalidRecordError } from '../../../src/errors';
import type { Redis } from 'ioredis';
import { eventsKey, LATEST, RolloutEvents, STREAM_START, type StoredEvent } from '../../../src/engine/events';
import type { RolloutEvent } from '../../../src/engine/record';
import { createRedisConnection } from '../../../src/engine/redisConnection';
import { waitFor } from '@ramp/sandbox/util/ports';
import { isolatedRedis, testRedisUrl } from '../../helpers/redis';

jest.setTimeout(30_000);

const ID = 'shop.checkout.1';

function ev(n: number): RolloutEvent {
  return { at: 1_700_000_000_000 + n, type: 'WeightChanged', message: `event ${n}`, weight: n % 101, step: n };
}

/** How many connections named `name` the server has. */
async function connectionsNamed(redis: Redis, name: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

describe('RolloutEvents', () => {
  let ctx: Awaited<ReturnType<typeof isolatedRedis>>;
  let conn: Redis;
  let events: RolloutEvents;

  beforeEach(async () => {
    ctx = await isolatedRedis('events');
    // A named connection of our own: follow duplicates it (name included), so we can count them.
    conn = createRedisConnection(testRedisUrl(), { name: ctx.prefix });
    events = new RolloutEvents({ connection: conn, prefix: ctx.prefix, blockMs: 5000 });
  });

  afterEach(async () => {
    await events.close();
    conn.disconnect();
    await ctx.cleanup();
  });

  it('appends events and reads them back oldest first, after an id, and a page at a time', async () => {
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push(await events.append(ID, ev(n)));
    expect(new Set(ids).size).toBe(5);

    const all = await events.read(ID);
    expect(all.map((e) => e.id)).toEqual(ids);
    expect(all.map((e) => e.event)).toEqual([1, 2, 3, 4, 5].map(ev));
    expect((await events.read(ID, { after: STREAM_START })).map((e) => e.event.step)).toEqual([1, 2, 3, 4, 5]);
    expect((await events.read(ID, { after: ids[1] })).map((e) => e.event.step)).toEqual([3, 4, 5]);
    expect((await events.read(ID, { after: ids[1], count: 2 })).map((e) => e.event.step)).toEqual([3, 4]);
    expect(await events.read(ID, { after: ids[4] })).toEqual([]);
    expect(await events.read('shop.other.1')).toEqual([]);
  });

  it('refuses events that do not validate and resume ids that are not stream ids', async () => {
    await expect(events.append(ID, { ...ev(1), type: 'Exploded' } as unknown as RolloutEvent)).rejects.toBeInstanceOf(
      InvalidRecordError,
    );
    await expect(events.read(ID, { after: 'not-an-id' })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(await events.length(ID)).toBe(0);
  });

  it('a corrupt entry gives CorruptEventError', async () => {
    await events.append(ID, ev(1));
    await ctx.redis.xadd(eventsKey(ctx.prefix, ID), '*', 'e', '{"at": oops');
    await expect(events.read(ID)).rejects.toBeInstanceOf(CorruptEventError);
  });

  it('keeps about maxLen entries: never fewer than maxLen, never more than one stream node over, the newest kept', async () => {
    const bounded = new RolloutEvents({ connection: conn, prefix: ctx.prefix, maxLen: 50 });
    const nodeMax = Number(((await ctx.redis.config('GET', 'stream-node-max-entries')) as string[])[1]);
    let last = '';
    for (let n = 1; n <= 600; n++) last = await bounded.append(ID, ev(n));
    const length = await bounded.length(ID);
    expect(length).toBeGreaterThanOrEqual(50);
    expect(length).toBeLessThanOrEqual(50 + nodeMax);
    const kept = await bounded.read(ID);
    expect(kept).toHaveLength(length);
    expect(kept[kept.length - 1]).toMatchObject({ id: last, event: ev(600) });
    expect(kept[0].event.step).toBe(600 - length + 1);
    await bounded.close();
  });

  it('follow delivers stored events, then ones appended later, in order; stops at once on abort', async () => {
    const first = await events.append(ID, ev(1));
    await events.append(ID, ev(2));
    const got: StoredEvent[] = [];
    const abort = new AbortController();
    const following = events.follow(ID, STREAM_START, (e) => void got.push(e), abort.signal);
    await waitFor(() => got.length === 2, 'the stored events');
    for (let n = 3; n <= 5; n++) await events.append(ID, ev(n));
    await waitFor(() => got.length === 5, 'the appended events');
    expect(got.map((e) => e.event.step)).toEqual([1, 2, 3, 4, 5]);
    expect(got[0].id).toBe(first);
    expect(await connectionsNamed(ctx.redis, ctx.prefix)).toBe(2);

    // Blocked in XREAD for up to 5 s: abort must not wait for that.
    const t0 = Date.now();
    abort.abort();
    await following;
    expect(Date.now() - t0).toBeLessThan(1000);
    await events.append(ID, ev(6));
    expect(got).toHaveLength(5);
    // The blocking connection is shared by every follow and kept for the next one.
    expect(await connectionsNamed(ctx.redis, ctx.prefix)).toBe(2);
  });

  it('follows of many streams share one blocking connection, and each gets its own events at once', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `${ID}-${i}`);
    const got = new Map<string, number[]>(ids.map((id) => [id, []]));
    const abort = new AbortController();
    const follows = ids.map((id) =>
      events.follow(id, LATEST, (e) => void got.get(id)?.push(e.event.step ?? -1), abort.signal),
    );
    await waitFor(() => events.waitingStreams === ids.length, 'every follow waiting');
    expect(await connectionsNamed(ctx.redis, ctx.prefix)).toBe(2);
    const t0 = Date.now();
    for (const [i, id] of ids.entries()) await events.append(id, ev(i));
    await waitFor(() => ids.every((id) => got.get(id)?.length === 1), 'one event on every stream');
    // Woken by the shared read, not by a follow's own timeout (blockMs 5 s).
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(ids.map((id) => got.get(id)?.[0])).toEqual(ids.map((_, i) => i));
    abort.abort();
    await Promise.all(follows);
  });

  it('follow resumes after a given id, or from the latest', async () => {
    const ids: string[] = [];
    for (let n = 1; n <= 3; n++) ids.push(await events.append(ID, ev(n)));
    const resumed: number[] = [];
    const latest: number[] = [];
    const abort = new AbortController();
    const a = events.follow(ID, ids[1], (e) => void resumed.push(e.event.step ?? -1), abort.signal);
    const b = events.follow(ID, LATEST, (e) => void latest.push(e.event.step ?? -1), abort.signal);
    await waitFor(() => resumed.length === 1, 'the event after the resume id');
    // LATEST resolves to the last id before it waits, so an event appended now is seen once.
    await waitFor(() => events.waitingStreams === 1, 'both follows waiting');
    // Both share the one blocking connection.
    expect(await connectionsNamed(ctx.redis, ctx.prefix)).toBe(2);
    await events.append(ID, ev(4));
    await waitFor(() => resumed.length === 2 && latest.length === 1, 'event 4 on both');
    abort.abort();
    await Promise.all([a, b]);
    expect(resumed).toEqual([3, 4]);
    expect(latest).toEqual([4]);
  });

  it('follow rejects when onEvent throws, and close() stops every follow and refuses new ones', async () => {
    await events.append(ID, ev(1));
    await expect(
      events.follow(
        ID,
        STREAM_START,
        () => {
          throw new Error('consumer broke');
        },
        new AbortController().signal,
      ),
    ).rejects.toThrow('consumer broke');
    await waitFor(
      async () => (await connectionsNamed(ctx.redis, ctx.prefix)) === 1,
      'the failed follow’s connection to close',
      5000,
    );

    const never = new AbortController();
    const following = events.follow(ID, LATEST, () => undefined, never.signal);
    await waitFor(async () => (await connectionsNamed(ctx.redis, ctx.prefix)) === 2, 'the follow connection');
    await events.close();
    await expect(following).resolves.toBeUndefined();
    expect(events.state).toBe('closed');
    await expect(events.close()).resolves.toBeUndefined();
    await expect(events.follow(ID, LATEST, () => undefined, never.signal)).rejects.toBeInstanceOf(ClosedError);
    await waitFor(
      async () => (await connectionsNamed(ctx.redis, ctx.prefix)) === 1,
      'the follow connection to close',
      5000,
    );
  });
});
