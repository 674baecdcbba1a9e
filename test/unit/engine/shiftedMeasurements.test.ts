/** Measurements across a change of the traffic split are marked `shifted`, so share-conditioned tests take them as exposure only. */
import { markShifted, trafficAt } from '../../../src/engine/analysisRun';
import type { Measurement } from '../../../src/analysis/types';

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
  it('tells traffic splits apart by the weight the steps allow and the weight the router verified', () => {
    expect(trafficAt(10, 10)).toBe(trafficAt(10, 10));
    expect(trafficAt(10, 10)).not.toBe(trafficAt(25, 10));
    // A route set some reconciles after its step (pods were not ready yet) moves the share then.
    expect(trafficAt(25, undefined)).not.toBe(trafficAt(25, 25));
  });

  it('marks counts and histograms measured across a change, and nothing else', () => {
    const steady = trafficAt(10, 10);
    const moved = trafficAt(25, 25);
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
