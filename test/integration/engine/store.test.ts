import {
  ActiveRolloutExistsError,
  ConcurrentUpdateError,
  CorruptRecordError,
  InvalidRecordError,
  RolloutExistsError,
  RolloutNotFoundError,
} from '../../../src/errors';
import { Redis } from 'ioredis';
import { RolloutStore, storeKeys } from '../../../src/engine/store';
import { RolloutEvents } from '../../../src/engine/events';
import type { Phase, RolloutRecord } from '../../../src/engine/record';
import { isolatedRedis, testRedisUrl } from '../../helpers/redis';
import { recordFixture } from '../../helpers/recordFixture';
import { canaryState } from '../../helpers/canaryState';

/** The record with its canary state changed. */
function canary(r: RolloutRecord, changes: Record<string, unknown>): RolloutRecord {
  return { ...r, strategy: { ...r.strategy, ...changes } };
}

jest.setTimeout(30_000);

const NS = 'shop';
const T0 = 1_700_000_000_000;

function newRecord(app: string, seq: number, over: Partial<RolloutRecord> = {}): RolloutRecord {
  return { ...recordFixture(NS, app, seq, T0 + seq * 1000), ...over };
}

function withPhase(r: RolloutRecord, phase: Phase): RolloutRecord {
  return { ...r, phase, message: `now ${phase}` };
}

describe('RolloutStore', () => {
  let ctx: Awaited<ReturnType<typeof isolatedRedis>>;
  let store: RolloutStore;
  let keys: ReturnType<typeof storeKeys>;
  const extra: Redis[] = [];
  const NOW = T0 + 999_000;

  beforeEach(async () => {
    ctx = await isolatedRedis('store');
    store = new RolloutStore({ connection: ctx.redis, prefix: ctx.prefix, now: () => NOW });
    keys = storeKeys(ctx.prefix);
  });

  afterEach(async () => {
    for (const r of extra.splice(0)) r.disconnect();
    await ctx.cleanup();
  });

  it('creates at version 1 and reads back by id, app (latest/active), namespace and active set', async () => {
    const created = await store.create(newRecord('checkout', 1, { version: 7 }));
    expect(created.version).toBe(1);
    expect(await store.get(created.id)).toEqual(created);
    expect(await store.getLatest(NS, 'checkout')).toEqual(created);
    expect(await store.getActive(NS, 'checkout')).toEqual(created);
    expect(await store.listActiveIds()).toEqual([created.id]);
    expect(await store.get('shop.checkout.404')).toBeUndefined();
    expect(await store.getLatest(NS, 'nothing')).toBeUndefined();
    expect(await store.getActive(NS, 'nothing')).toBeUndefined();

    const cart = await store.create(newRecord('cart', 2));
    const search = await store.create(newRecord('search', 3));
    expect((await store.list(NS)).map((r) => r.id)).toEqual([search.id, cart.id, created.id]);
    expect((await store.list(NS, { limit: 2 })).map((r) => r.id)).toEqual([search.id, cart.id]);
    expect(await store.list('elsewhere')).toEqual([]);
    expect((await store.listActiveIds()).sort()).toEqual([cart.id, created.id, search.id].sort());
  });

  it('counts each app’s rollouts with nextSeq', async () => {
    expect([
      await store.nextSeq(NS, 'a'),
      await store.nextSeq(NS, 'a'),
      await store.nextSeq(NS, 'b'),
      await store.nextSeq(NS, 'a'),
    ]).toEqual([1, 2, 1, 3]);
  });

  it('refuses a second active rollout of an app, naming the active one, and writes nothing', async () => {
    const first = await store.create(newRecord('checkout', 1));
    const err = await store.create(newRecord('checkout', 2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActiveRolloutExistsError);
    expect(err).toMatchObject({
      code: 'ACTIVE_ROLLOUT_EXISTS',
      namespace: NS,
      app: 'checkout',
      activeRolloutId: first.id,
    });
    expect(await store.get(`${NS}.checkout.2`)).toBeUndefined();
    expect((await store.list(NS)).map((r) => r.id)).toEqual([first.id]);
    expect(await store.getLatest(NS, 'checkout')).toEqual(first);
    // Another app is not affected.
    await expect(store.create(newRecord('cart', 3))).resolves.toMatchObject({ version: 1 });
  });

  it('frees the app when its rollout reaches a terminal phase, so a new one can be created', async () => {
    const first = await store.create(newRecord('checkout', 1));
    expect(await store.update(first.id, 1, withPhase(first, 'Progressing'))).toBe('ok');
    await expect(store.create(newRecord('checkout', 2))).rejects.toBeInstanceOf(ActiveRolloutExistsError);
    expect(await store.update(first.id, 2, withPhase(first, 'RolledBack'))).toBe('ok');

    expect(await store.getActive(NS, 'checkout')).toBeUndefined();
    expect(await store.listActiveIds()).toEqual([]);
    expect(await ctx.redis.hget(keys.app(NS, 'checkout'), 'active')).toBeNull();
    expect(await store.getLatest(NS, 'checkout')).toMatchObject({ id: first.id, phase: 'RolledBack', version: 3 });

    const second = await store.create(newRecord('checkout', 2));
    expect(await store.getActive(NS, 'checkout')).toEqual(second);
    expect(await store.getLatest(NS, 'checkout')).toEqual(second);
    expect((await store.list(NS)).map((r) => r.id)).toEqual([second.id, first.id]);
    expect(await store.listActiveIds()).toEqual([second.id]);
  });

  it('lets a terminal rollout become active again (retry) only while its app has no other active rollout', async () => {
    const first = await store.create(newRecord('checkout', 1));
    expect(await store.update(first.id, 1, withPhase(first, 'Failed'))).toBe('ok');
    const second = await store.create(newRecord('checkout', 2));
    await expect(store.update(first.id, 2, withPhase(first, 'Pending'))).rejects.toMatchObject({
      code: 'ACTIVE_ROLLOUT_EXISTS',
      activeRolloutId: second.id,
    });
    expect(await store.get(first.id)).toMatchObject({ version: 2, phase: 'Failed' });

    expect(await store.update(second.id, 1, withPhase(second, 'Succeeded'))).toBe('ok');
    expect(await store.update(first.id, 2, { ...withPhase(first, 'Pending'), attempt: 2 })).toBe('ok');
    expect(await store.getActive(NS, 'checkout')).toMatchObject({ id: first.id, attempt: 2, version: 3 });
    expect(await store.listActiveIds()).toEqual([first.id]);
  });

  it('refuses an id twice', async () => {
    await store.create(newRecord('checkout', 1, { phase: 'Succeeded' }));
    await expect(store.create(newRecord('checkout', 1))).rejects.toBeInstanceOf(RolloutExistsError);
  });

  it('stores a record created terminal without making it active', async () => {
    const r = await store.create(newRecord('checkout', 1, { phase: 'Failed' }));
    expect(await store.getActive(NS, 'checkout')).toBeUndefined();
    expect(await store.getLatest(NS, 'checkout')).toEqual(r);
    expect(await store.listActiveIds()).toEqual([]);
  });

  it('updates with compare-and-set: version + 1 and updatedAt now; a stale version changes nothing', async () => {
    const created = await store.create(newRecord('checkout', 1));
    expect(await store.update(created.id, 1, { ...canary(created, { weight: 5 }), phase: 'Progressing' })).toBe('ok');
    const v2 = await store.get(created.id);
    expect(v2).toMatchObject({ version: 2, updatedAt: NOW, strategy: { weight: 5 }, phase: 'Progressing' });

    const before = await ctx.redis.hgetall(keys.record(created.id));
    expect(await store.update(created.id, 1, canary(created, { weight: 50 }))).toBe('conflict');
    expect(await store.update(created.id, 3, canary(created, { weight: 50 }))).toBe('conflict');
    expect(await ctx.redis.hgetall(keys.record(created.id))).toEqual(before);
    expect(await store.get(created.id)).toEqual(v2);

    expect(await store.update('shop.checkout.404', 1, { ...created, id: 'shop.checkout.404' })).toBe('missing');
    expect(await store.get('shop.checkout.404')).toBeUndefined();
  });

  it('refuses records that are invalid or would move a rollout to another id or app', async () => {
    const created = await store.create(newRecord('checkout', 1));
    await expect(store.create(canary(newRecord('cart', 2), { weight: 150 }))).rejects.toBeInstanceOf(
      InvalidRecordError,
    );
    await expect(store.update(created.id, 1, canary(created, { stepIndex: -1 }))).rejects.toBeInstanceOf(
      InvalidRecordError,
    );
    await expect(store.update(created.id, 1, { ...created, id: 'other' })).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(store.update(created.id, 1, { ...created, app: 'cart' })).rejects.toBeInstanceOf(InvalidRecordError);
    expect(await store.get(created.id)).toEqual(created);
    expect(await store.getActive(NS, 'cart')).toBeUndefined();
  });

  it('20 concurrent mutates over several connections commit exactly 20 increments, ending at version 21', async () => {
    const created = await store.create(newRecord('checkout', 1));
    const stores = [store];
    for (let i = 0; i < 3; i++) {
      const conn = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
      extra.push(conn);
      stores.push(new RolloutStore({ connection: conn, prefix: ctx.prefix }));
    }
    let applied = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        stores[i % stores.length].mutate(created.id, (r) => {
          applied++;
          return canary(r, { stepIndex: canaryState(r).stepIndex + 1 });
        }),
      ),
    );
    const final = await store.get(created.id);
    expect(final).toMatchObject({ strategy: { stepIndex: 20 }, version: 21 });
    // Each committed a distinct version: no increment was lost or applied twice.
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(results.map((r) => canaryState(r).stepIndex).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    // The race was real: some attempts lost the compare-and-set and were re-applied.
    expect(applied).toBeGreaterThan(20);
  });

  it('mutate: undefined means no change; a missing record is an error; a lost race past maxAttempts gives up', async () => {
    const created = await store.create(newRecord('checkout', 1));
    expect(await store.mutate(created.id, () => undefined)).toEqual(created);
    expect(await store.get(created.id)).toEqual(created);
    await expect(store.mutate('shop.nope.1', (r) => r)).rejects.toBeInstanceOf(RolloutNotFoundError);

    // Both read version 1 before either writes (one connection keeps command order), so one must lose.
    const outcomes = await Promise.allSettled(
      [1, 2].map((w) => store.mutate(created.id, (r) => canary(r, { weight: w }), { maxAttempts: 1 })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(ConcurrentUpdateError);
    expect(await store.get(created.id)).toMatchObject({ version: 2 });
  });

  it('mutate hands fn a copy: changing it in place without returning it writes nothing', async () => {
    const created = await store.create(newRecord('checkout', 1));
    const result = await store.mutate(created.id, (r) => {
      r.strategy.weight = 99;
      return undefined;
    });
    expect(canaryState(result).weight).toBe(0);
    expect(await store.get(created.id)).toEqual(created);
  });

  describe('corrupt data gives CorruptRecordError, not a crash', () => {
    it('JSON that does not parse', async () => {
      const created = await store.create(newRecord('checkout', 1));
      await ctx.redis.hset(keys.record(created.id), 'json', '{"id": "shop.checkout.1", oops');
      const err = await store.get(created.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptRecordError);
      expect(err).toMatchObject({ code: 'CORRUPT_RECORD', rolloutId: created.id, key: keys.record(created.id) });
      await expect(store.mutate(created.id, (r) => r)).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(store.getActive(NS, 'checkout')).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(store.list(NS)).rejects.toBeInstanceOf(CorruptRecordError);
    });

    it('JSON of the wrong shape, or a version that disagrees', async () => {
      const created = await store.create(newRecord('checkout', 1));
      await ctx.redis.hset(keys.record(created.id), 'json', JSON.stringify({ ...created, phase: 'Exploded' }));
      await expect(store.get(created.id)).rejects.toThrow(/phase/);
      await ctx.redis.hset(keys.record(created.id), 'json', JSON.stringify(created), 'v', '5');
      await expect(store.get(created.id)).rejects.toThrow(/version field 5/);
    });

    it('a key of the wrong type, read or written', async () => {
      const id = `${NS}.checkout.1`;
      await ctx.redis.set(keys.record(id), '{"not":"a hash"}');
      await expect(store.get(id)).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(store.update(id, 1, newRecord('checkout', 1))).rejects.toBeInstanceOf(CorruptRecordError);
      await ctx.redis.del(keys.record(id));
      await ctx.redis.hset(keys.record(id), 'json', JSON.stringify(newRecord('checkout', 1)));
      await expect(store.update(id, 1, newRecord('checkout', 1))).rejects.toThrow(/no version field/);

      await ctx.redis.set(keys.app(NS, 'cart'), 'garbage');
      await expect(store.create(newRecord('cart', 2))).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(store.getLatest(NS, 'cart')).rejects.toBeInstanceOf(CorruptRecordError);
    });
  });

  it('appends the events of a change in the same compare-and-set: all of them when it commits, none when it loses', async () => {
    const events = new RolloutEvents({ connection: ctx.redis, prefix: ctx.prefix });
    const r = await store.create(newRecord('evented', 1), [{ at: T0, type: 'Created', message: 'created' }]);
    expect((await events.read(r.id)).map((e) => e.event.type)).toEqual(['Created']);
    const lost = await store.update(r.id, r.version + 5, withPhase(r, 'Progressing'), [
      { at: T0, type: 'StepStarted', message: 'never' },
    ]);
    expect(lost).toBe('conflict');
    expect(
      await store.update(r.id, r.version, withPhase(r, 'RolledBack'), [
        { at: T0, type: 'RollingBack', message: 'a' },
        { at: T0, type: 'RolledBack', message: 'b' },
      ]),
    ).toBe('ok');
    expect((await events.read(r.id)).map((e) => e.event.message)).toEqual(['created', 'a', 'b']);
    await store.mutate(r.id, (x) => ({
      record: { ...x, message: 'noted' },
      events: [{ at: T0, type: 'Operation', message: 'c' }],
    }));
    expect((await events.read(r.id)).map((e) => e.event.message)).toEqual(['created', 'a', 'b', 'c']);
    await events.close();
  });
});
