/** Measurements across a change of the traffic split are marked `shifted`, so share-conditioned tests take them as exposure only. */
import { markShifted, trafficAt } from '../../../src/engine/analysisRun';
import type { Measurement } from '../../../src/analysis/types';
import { weighted } from '../../../src/strategies/traffic';

const counts: Measurement = {
  kind: 'counts',
  at: 5000,
  canary: { requests: 100, errors: 1 },
  stable: { requests: 900, errors: 9 },
};
const histogram: Measurement = {
  kind: 'histogram',
  at: 5000,
  canary: { buckets: [{ le: 0.1, count: 90 }], count: 100 },
  stable: { buckets: [{ le: 0.1, count: 810 }], count: 900 },
};

describe('shifted measurements', () => {
  it('tells traffic splits apart by the traffic the steps ask for and whether the router confirmed it', () => {
    expect(trafficAt(weighted(10), true)).toBe(trafficAt(weighted(10), true));
    expect(trafficAt(weighted(10), true)).not.toBe(trafficAt(weighted(25), true));
    // A route set some reconciles after its step (pods were not ready yet) moves the share then.
    expect(trafficAt(weighted(25), undefined)).not.toBe(trafficAt(weighted(25), true));
    expect(trafficAt(weighted(25), false)).not.toBe(trafficAt(weighted(25), true));
    expect(trafficAt({ weight: 25, matches: [{ on: 'header', name: 'x', type: 'Exact', value: '1' }] }, true)).not.toBe(
      trafficAt(weighted(25), true),
    );
  });

  it('marks counts and histograms measured across a change, and nothing else', () => {
    const steady = trafficAt(weighted(10), true);
    const moved = trafficAt(weighted(25), true);
    expect(markShifted(counts, steady, steady)).toBe(counts);
    expect(markShifted(counts, steady, moved)).toEqual({ ...counts, shifted: true });
    expect(markShifted(histogram, steady, moved)).toEqual({ ...histogram, shifted: true });
    // The first look has nothing to compare with; a query value and missing data have no share.
    expect(markShifted(counts, undefined, moved)).toBe(counts);
    const value: Measurement = { kind: 'value', at: 5000, value: 3 };
    expect(markShifted(value, steady, moved)).toBe(value);
    expect(markShifted(undefined, steady, moved)).toBeUndefined();
  });
});
