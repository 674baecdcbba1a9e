import fc from 'fast-check';
import { Backoff, formatGoDuration } from '../../../src/kubelet/backoff';

describe('crash-loop back-off', () => {
  it('restarts at once the first time, then waits 10 s doubling to 5 min', () => {
    const b = new Backoff({ initialMs: 10_000, maxMs: 300_000 });
    let t = 0;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      // The container exits at t; it restarts at the first moment it is not in back-off.
      const exitAt = t;
      let restartAt = exitAt;
      while (b.inBackOffSince('c', exitAt, restartAt)) restartAt = b.endsAt('c', exitAt);
      waits.push(restartAt - exitAt);
      b.next('c', exitAt);
      t = restartAt + 1; // runs for 1 ms and crashes again
    }
    expect(waits).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('starts over after running well for twice the maximum', () => {
    const b = new Backoff({ initialMs: 10_000, maxMs: 300_000 });
    b.next('c', 0);
    b.next('c', 1);
    expect(b.get('c')).toBe(20_000);
    expect(b.inBackOffSince('c', 600_002, 600_003)).toBe(false);
    b.next('c', 600_002);
    expect(b.get('c')).toBe(10_000);
  });

  it('keeps keys apart and forgets them by prefix', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 });
    b.next('pod1/a', 0);
    b.next('pod2/a', 0);
    b.resetPrefix('pod1/');
    expect(b.get('pod1/a')).toBe(0);
    expect(b.get('pod2/a')).toBe(100);
  });

  it('never exceeds the maximum nor goes below the initial value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 50_000 }), { maxLength: 40 }),
        (initial, factor, gaps) => {
          const max = initial * factor;
          const b = new Backoff({ initialMs: initial, maxMs: max });
          let t = 0;
          for (const g of gaps) {
            t += g;
            b.next('k', t);
            expect(b.get('k')).toBeGreaterThanOrEqual(initial);
            expect(b.get('k')).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });
});

describe('formatGoDuration', () => {
  it.each([
    [10_000, '10s'],
    [20_000, '20s'],
    [80_000, '1m20s'],
    [160_000, '2m40s'],
    [300_000, '5m0s'],
    [300, '300ms'],
    [1200, '1.2s'],
    [0, '0s'],
  ])('%d ms → %s', (ms, text) => expect(formatGoDuration(ms)).toBe(text));
});
