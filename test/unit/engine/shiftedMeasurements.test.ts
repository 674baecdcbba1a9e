/** A change of the traffic split between two looks is what marks windows `shifted` (the measurement layer marks them). */
import { trafficAt, trafficChanged } from '../../../src/engine/analysisRun';
import { weighted } from '../../../src/strategies/traffic';

describe('traffic changes between looks', () => {
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

  it('says the split changed only when there was a look before with another split', () => {
    const steady = trafficAt(weighted(10), true);
    const moved = trafficAt(weighted(25), true);
    expect(trafficChanged(steady, steady)).toBe(false);
    expect(trafficChanged(steady, moved)).toBe(true);
    // The first look has nothing to compare with.
    expect(trafficChanged(undefined, moved)).toBe(false);
  });
});
