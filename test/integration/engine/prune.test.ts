/**
 * Pruning finished rollouts on a real Redis: old terminal rollouts go with their event streams and
 * index entries; each app's latest rollout, active rollouts and recent ones stay; glob characters in
 * the key prefix do not reach other deployments' keys.
 */
import { RolloutStore, storeKeys } from '../../../src/engine/store';
import { eventsKey } from '../../../src/engine/events';
import type { Phase, RolloutRecord } from '../../../src/engine/record';
import { isolatedRedis } from '../../helpers/redis';
import { recordFixture } from '../../helpers/recordFixture';

const T0 = 1_700_000_000_000;
const DAY = 24 * 3_600_000;

describe('RolloutStore.prune', () => {
  let ctx: Awaited<ReturnType<typeof isolatedRedis>>;
  let clock = T0;
  let store: RolloutStore;
  let prefix: string;

  beforeEach(async () => {
    ctx = await isolatedRedis('prune');
    clock = T0;
    // Glob characters in the prefix: the namespace scan must match them literally.
    prefix = `${ctx.prefix}[a]`;
    store = new RolloutStore({ connection: ctx.redis, prefix, now: () => clock });
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  /** Creates a rollout at `clock` and moves it to `phase` (terminal ones leave the active pointer). */
  async function rollout(ns: string, app: string, seq: number, phase: Phase): Promise<RolloutRecord> {
    const created = await store.create(recordFixture(ns, app, seq, clock), [
      { type: 'Created', at: clock, message: 'created' },
    ]);
    if (phase === 'Pending') return created;
    return store.mutate(created.id, (r) => ({
      record: { ...r, phase, message: phase },
      events: [{ type: 'Operation', at: clock, message: phase, phase }],
    }));
  }

  const exists = async (key: string) => (await ctx.redis.exists(key)) === 1;

  it('deletes old finished rollouts with their events, keeping latest, active and recent ones', async () => {
    const keys = storeKeys(prefix);
    const old1 = await rollout('shop', 'web', 1, 'Succeeded');
    const old2 = await rollout('shop', 'web', 2, 'RolledBack');
    const latest = await rollout('shop', 'web', 3, 'Succeeded');
    const otherNs = await rollout('blog', 'api', 1, 'Failed');
    await rollout('blog', 'api', 2, 'Succeeded');
    const active = await rollout('shop', 'cart', 1, 'Progressing');
    clock = T0 + 20 * DAY;
    const recent = await rollout('shop', 'search', 1, 'Succeeded');
    await rollout('shop', 'search', 2, 'Pending');
    // A rollout at another deployment whose prefix the unescaped pattern would match.
    const neighbour = new RolloutStore({ connection: ctx.redis, prefix: `${ctx.prefix}a`, now: () => T0 });
    const theirs = await neighbour.create({ ...recordFixture('shop', 'web', 9, T0), phase: 'Succeeded' });
    await neighbour.create(recordFixture('shop', 'web', 10, T0));

    const result = await store.prune(T0 + 10 * DAY);
    // Kept: shop/web and blog/api's latest rollouts, old and finished as they are.
    expect(result).toEqual({ deleted: 3, kept: 2, unreadable: 0 });
    for (const gone of [old1, old2, otherNs]) {
      expect(await store.get(gone.id)).toBeUndefined();
      expect(await exists(eventsKey(prefix, gone.id))).toBe(false);
    }
    expect((await store.list('shop')).map((r) => r.id).sort()).toEqual(
      [latest.id, active.id, recent.id, 'shop.search.2'].sort(),
    );
    expect((await store.list('blog')).map((r) => r.id)).toEqual(['blog.api.2']);
    expect(await store.getLatest('shop', 'web')).toMatchObject({ id: latest.id });
    expect(await exists(eventsKey(prefix, latest.id))).toBe(true);
    expect(await store.getActive('shop', 'cart')).toMatchObject({ id: active.id });
    expect((await neighbour.list('shop')).map((r) => r.id).sort()).toEqual(['shop.web.10', theirs.id]);
    expect(await ctx.redis.zcard(keys.namespace('shop'))).toBe(4);

    // Nothing more to do: the same prune again deletes nothing.
    expect(await store.prune(T0 + 10 * DAY)).toEqual({ deleted: 0, kept: 2, unreadable: 0 });
  });

  it('drops index entries whose record is gone and counts unreadable records without failing', async () => {
    const keys = storeKeys(prefix);
    await ctx.redis.zadd(keys.namespace('shop'), T0, 'shop.ghost.1');
    await ctx.redis.zadd(keys.namespace('shop'), T0, 'shop.broken.1');
    await ctx.redis.set(keys.record('shop.broken.1'), 'not a hash');
    const result = await store.prune(T0 + DAY);
    expect(result).toEqual({ deleted: 0, kept: 0, unreadable: 1 });
    expect(await ctx.redis.zrange(keys.namespace('shop'), 0, -1)).toEqual(['shop.broken.1']);
    expect(await ctx.redis.get(keys.record('shop.broken.1'))).toBe('not a hash');
  });

  it('pages through namespaces with more old rollouts than one batch', async () => {
    for (let seq = 1; seq <= 450; seq++) await rollout('big', 'app', seq, 'Succeeded');
    expect(await store.prune(T0 + DAY)).toEqual({ deleted: 449, kept: 1, unreadable: 0 });
    expect((await store.list('big')).map((r) => r.id)).toEqual(['big.app.450']);
  });
});
