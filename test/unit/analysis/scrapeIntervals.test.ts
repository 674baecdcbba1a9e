/**
 * Real scrape intervals (issue 13, 2): with each pod scraped every 15, 30 or 60 s at its own phase, one
 * canary pod beside nine stable ones, and Ramp looking every 5 s, the judge is never blind: identical
 * versions are decided (passed) within the hour and a 5× regression is rolled back. Seeded.
 */
import fc from 'fast-check';
import binomialQuantile from '@stdlib/stats-base-dists-binomial-quantile';
import { runCluster, type ClusterSpec } from './scrapedCluster';

const BASE: Omit<ClusterSpec, 'seed' | 'scrapeS'> = {
  rpm: 6000,
  share: 0.1,
  p0: 0.01,
  ratio: 1,
  stablePods: 9,
  canaryPods: 1,
  podCv: 0,
  maxRatio: 1.5,
  alpha: 0.01,
  horizonMin: 60,
};

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });

describe.each([15, 30, 60])('sequential judge under %i s scrapes with per-pod phases', (scrapeS) => {
  it('decides identical versions within the hour, with a window every scrape interval', () => {
    const runs = fc.sample(seed, { seed: scrapeS, numRuns: 100 }).map((s) => runCluster({ ...BASE, seed: s, scrapeS }));
    const decided = runs.filter((r) => r.decision !== 'continue');
    const failed = runs.filter((r) => r.decision === 'fail');
    process.stderr.write(
      `${scrapeS} s scrapes, identical: ${decided.length} of ${runs.length} decided, ${failed.length} rolled back\n`,
    );
    expect(decided.length).toBe(runs.length);
    expect(failed.length).toBeLessThanOrEqual(binomialQuantile(0.999, runs.length, BASE.alpha));
    // Every window holds a scrape of every pod: about one per scrape interval, never none for long.
    for (const r of runs) expect(r.windows).toBeGreaterThanOrEqual(Math.floor((r.minutes * 60) / scrapeS) - 2);
  });

  it('rolls back a 5× regression within 15 minutes', () => {
    fc.assert(
      fc.property(seed, fc.double({ min: 0.005, max: 0.05, noNaN: true }), (s, p0) => {
        const r = runCluster({ ...BASE, seed: s, scrapeS, p0, ratio: 5, horizonMin: 15 });
        expect(r.decision).toBe('fail');
      }),
      { seed: scrapeS + 1, numRuns: 50 },
    );
  });
});
