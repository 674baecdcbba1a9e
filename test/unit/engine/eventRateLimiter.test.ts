import fc from 'fast-check';
import { clusterEvents, EventRateLimiter } from '../../../src/engine/clusterEvents';
import { recordFixture } from '../../helpers/recordFixture';

describe('EventRateLimiter', () => {
  it('lets a burst through, then one per refill period, per object', () => {
    const l = new EventRateLimiter(3, 1000);
    expect([1, 2, 3, 4].map(() => l.take('a', 0))).toEqual([true, true, true, false]);
    expect(l.take('b', 0)).toBe(true);
    expect(l.take('a', 999)).toBe(false);
    expect(l.take('a', 1000)).toBe(true);
    expect(l.take('a', 1500)).toBe(false);
    expect(l.take('a', 10_000)).toBe(true);
  });

  it('never lets more than burst + elapsed/refill events through for one object', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 200 }),
        (burst, refill, gaps) => {
          const l = new EventRateLimiter(burst, refill);
          let now = 0;
          let taken = 0;
          for (const g of gaps) {
            now += g;
            if (l.take('x', now)) taken++;
          }
          expect(taken).toBeLessThanOrEqual(burst + Math.floor(now / refill));
        },
      ),
      { seed: 16, numRuns: 300 },
    );
  });

  it('forgets the oldest objects beyond its size', () => {
    const l = new EventRateLimiter(1, 1_000_000, 2);
    expect(l.take('a', 0)).toBe(true);
    expect(l.take('b', 0)).toBe(true);
    expect(l.take('c', 0)).toBe(true);
    // `a` was forgotten: a fresh bucket.
    expect(l.take('a', 0)).toBe(true);
    expect(l.take('c', 0)).toBe(false);
  });
});

describe('clusterEvents', () => {
  it('makes rollbacks and failures Warnings on the ReplicaSet, with the rollout named', () => {
    const record = recordFixture('shop', 'checkout', 1, 0);
    const out = clusterEvents(
      record,
      [
        { at: 1, type: 'StepStarted', message: 'step 1: setWeight 10' },
        { at: 2, type: 'RollingBack', message: 'analysis failed' },
      ],
      { name: 'checkout-abc', uid: 'u1' },
    );
    expect(out.map((e) => [e.type, e.reason, e.object.uid])).toEqual([
      ['Normal', 'StepStarted', 'u1'],
      ['Warning', 'RollingBack', 'u1'],
    ]);
    expect(out[1].message).toBe(`rollout ${record.id}: analysis failed`);
  });
});
