/**
 * The engine keeps a bounded number of measurements per metric and asks the judge to fold what it drops
 * into a carry. For the sequential judge that must change nothing: the test runs over the whole analysis
 * (a window sliding over the latest measurements would not be a martingale, and false rollbacks would
 * grow with the length of the analysis). Streams are seeded; the carry goes through JSON as in Redis.
 */
import fc from 'fast-check';
import binomial from '@stdlib/random-base-binomial';
import lognormalCdf from '@stdlib/stats-base-dists-lognormal-cdf';
import { SequentialJudge } from '../../../src/analysis/judges/sequential';
import { ThresholdJudge } from '../../../src/analysis/judges/threshold';
import type { Judge, JudgeContext } from '../../../src/analysis/judge';
import type { HistogramWindow, Measurement, Verdict } from '../../../src/analysis/types';
import { keepMeasurements } from '../../../src/engine/analysisRun';
import { metricStateSchema, type MetricState } from '../../../src/engine/record';
import { metricSchema } from '../../../src/plan/schema';
import { createRng } from '@ramp/sandbox/util/random';

const sequential = new SequentialJudge();
const errorsCtx: JudgeContext = {
  metric: metricSchema.parse({ name: 'errors', errorRate: { maxRatio: 2, minRequests: 300 } }),
  alpha: 0.01,
  analysisStartedAt: 0,
  now: 0,
};
const latencyCtx: JudgeContext = {
  metric: metricSchema.parse({ name: 'latency', latency: { quantile: 0.9, maxRatio: 1.2, minRequests: 300 } }),
  alpha: 0.01,
  analysisStartedAt: 0,
  now: 0,
};
const LES = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Error counts: the canary at `ratio` × a base rate, `ratio` changing to `later` half way (a canary turning bad, or good). */
function errorStream(seed: number, n: number, ratio: number, later: number, share: number): Measurement[] {
  const draw = binomial.factory({ prng: createRng(seed) });
  return Array.from({ length: n }, (_, i) => {
    const q = i < n / 2 ? ratio : later;
    const nc = Math.round(200 * share);
    const ns = 200 - nc;
    return {
      kind: 'counts',
      at: i * 5000,
      canary: { requests: nc, errors: draw(nc, Math.min(1, 0.02 * q)) },
      stable: { requests: ns, errors: draw(ns, 0.02) },
    };
  });
}

/** Lognormal latencies counted into buckets, the canary's median × `slower`. */
function latencyStream(seed: number, n: number, slower: number): Measurement[] {
  const draw = binomial.factory({ prng: createRng(seed) });
  const hist = (requests: number, median: number): HistogramWindow => {
    // Sequential binomial splits: each request lands in exactly one bucket.
    let left = requests;
    let below = 0;
    let prev = 0;
    const buckets = LES.map((le) => {
      const p = lognormalCdf(le, Math.log(median), 0.6);
      const inBucket = left > 0 && p > prev ? draw(left, Math.min(1, (p - prev) / (1 - prev))) : 0;
      left -= inBucket;
      below += inBucket;
      prev = p;
      return { le, count: below };
    });
    return { buckets, count: requests };
  };
  return Array.from({ length: n }, (_, i) => ({
    kind: 'histogram',
    at: i * 5000,
    canary: hist(30, 0.05 * slower),
    stable: hist(170, 0.05),
  }));
}

/** The engine's way: measurements arrive one by one, at most `limit` are kept, the state goes through JSON and the record's schema (as through Redis). */
function judgeAsTheEngine(
  judge: Judge,
  ms: readonly Measurement[],
  ctx: JudgeContext,
  limit: number,
): { verdict: Verdict; state: Pick<MetricState, 'measurements' | 'carry'> } {
  let state: Pick<MetricState, 'measurements' | 'carry'> = { measurements: [] };
  let verdict: Verdict | undefined;
  for (const m of ms) {
    state = metricStateSchema.parse(JSON.parse(JSON.stringify(keepMeasurements(judge, ctx, state, m, limit))));
    verdict = judge.judge(state.measurements, { ...ctx, carried: state.carry });
    // A fail ends the analysis in the engine; what came after it is not judged.
    if (verdict.decision === 'fail') break;
  }
  return { verdict: verdict as Verdict, state };
}

/** Judged on everything at once, stopping at the first fail as the engine does. */
function judgeWhole(judge: Judge, ms: readonly Measurement[], ctx: JudgeContext): Verdict {
  let verdict: Verdict | undefined;
  for (let i = 1; i <= ms.length; i++) {
    verdict = judge.judge(ms.slice(0, i), ctx);
    if (verdict.decision === 'fail') break;
  }
  return verdict as Verdict;
}

/** The test's own numbers must agree exactly; the estimate and bound shown to humans to the digits they show. */
function expectSameVerdict(a: Verdict, b: Verdict, exact: readonly string[], approximate: readonly string[]): void {
  expect(a.decision).toBe(b.decision);
  for (const k of exact) expect(a.evidence[k]).toEqual(b.evidence[k]);
  for (const k of approximate) {
    const x = a.evidence[k];
    const y = b.evidence[k];
    if (typeof x === 'number' && typeof y === 'number')
      expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(y)));
    else expect(x).toEqual(y);
  }
}

describe('judges and the measurements the engine drops', () => {
  it('the sequential error judge decides on the whole analysis, however few measurements are kept', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(1, 2, 4),
        fc.constantFrom(1, 3),
        fc.double({ min: 0.05, max: 0.5, noNaN: true }),
        (seed, limit, ratio, later, share) => {
          const ms = errorStream(seed, 160, ratio, later, share);
          const engine = judgeAsTheEngine(sequential, ms, errorsCtx, limit);
          expect(engine.state.measurements.length).toBeLessThanOrEqual(limit);
          expectSameVerdict(
            engine.verdict,
            judgeWhole(sequential, ms, errorsCtx),
            [
              'failLlr',
              'failLlr_ratio',
              'failLlr_increase',
              'failBoundary',
              'epoch',
              'passLlr',
              'passLlr_absolute',
              'exposure',
              'canaryRequests',
              'canaryErrors',
              'stableRequests',
              'stableErrors',
              'podSpreadBound',
              'dispersion',
            ],
            ['ratio', 'ratioUpperBound'],
          );
        },
      ),
      { seed: 20261204, numRuns: 60 },
    );
  });

  it('the sequential latency judge too', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(1, 1.5),
        (seed, limit, slower) => {
          const ms = latencyStream(seed, 120, slower);
          const engine = judgeAsTheEngine(sequential, ms, latencyCtx, limit);
          expectSameVerdict(
            engine.verdict,
            judgeWhole(sequential, ms, latencyCtx),
            [
              'failLlr',
              'epoch',
              'passLlr',
              'exposure',
              'canarySlow',
              'stableSlow',
              'boundaryMs',
              'toleratedSlowRatio',
              'canaryMs',
              'stableMs',
              'passLlr_absolute',
            ],
            ['slowRatio', 'slowRatioUpperBound'],
          );
        },
      ),
      { seed: 7, numRuns: 30 },
    );
  });

  it('the threshold judge counts failed checks over the whole analysis, each check on its full window', () => {
    const threshold = new ThresholdJudge();
    const windowed = {
      ...errorsCtx,
      metric: metricSchema.parse({ name: 'errors', errorRate: { maxRatio: 2, judge: 'threshold', minRequests: 40 } }),
    };
    const query = {
      ...errorsCtx,
      metric: metricSchema.parse({ name: 'depth', query: 'max(queue_depth)', threshold: { max: 10, failureLimit: 3 } }),
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(1, 2),
        (seed, limit, ratio) => {
          // Intervals of 5 s, checks on 60 s windows: the first dozen kept measurements reach into the carry.
          const ms = errorStream(seed, 100, 1, ratio, 0.2);
          const engine = judgeAsTheEngine(threshold, ms, windowed, limit);
          expectSameVerdict(
            engine.verdict,
            judgeWhole(threshold, ms, windowed),
            [
              'checks',
              'failures',
              'consecutiveFailures',
              'canaryRequests',
              'canaryErrors',
              'stableRequests',
              'stableErrors',
              'bound',
            ],
            [],
          );
          const rng = createRng(seed);
          const values: Measurement[] = Array.from({ length: 100 }, (_, i) => ({
            kind: 'value',
            at: i * 5000,
            value: rng() < 0.03 ? 20 : 5,
          }));
          const q = judgeAsTheEngine(threshold, values, query, limit);
          expectSameVerdict(
            q.verdict,
            judgeWhole(threshold, values, query),
            ['checks', 'failures', 'consecutiveFailures', 'value'],
            [],
          );
          expect(q.state.measurements.length).toBeLessThanOrEqual(limit);
        },
      ),
      { seed: 11, numRuns: 60 },
    );
  });

  it('says inconclusive, never pass, when a carry cannot be read back, and keeps it as it is', () => {
    const ms = errorStream(5, 20, 1, 1, 0.1);
    const garbled = { v: 1, kind: 'errorRate', state: { test: 'lost' } };
    const v = sequential.judge(ms, { ...errorsCtx, carried: garbled });
    expect(v.decision).toBe('inconclusive');
    expect(v.reason).toMatch(/cannot be read back/);
    expect(sequential.fold(ms, { ...errorsCtx, carried: garbled })).toBe(garbled);
    const threshold = new ThresholdJudge();
    const thresholdCtx = {
      ...errorsCtx,
      metric: metricSchema.parse({ name: 'errors', errorRate: { maxRatio: 2, judge: 'threshold' } }),
      carried: { v: 1, kind: 'threshold', counts: { failures: -1 } },
    };
    expect(threshold.judge(ms, thresholdCtx).decision).toBe('inconclusive');
    expect(threshold.fold(ms, thresholdCtx)).toBe(thresholdCtx.carried);
    // A latency carry is not an error-rate carry, and one for p90 is not one for p99.
    const latencyCarry = sequential.fold(latencyStream(5, 10, 1), latencyCtx);
    expect(sequential.judge(ms, { ...errorsCtx, carried: latencyCarry }).decision).toBe('inconclusive');
    const p99 = {
      ...latencyCtx,
      metric: metricSchema.parse({ name: 'latency', latency: { quantile: 0.99, maxRatio: 1.2 } }),
    };
    expect(sequential.judge(latencyStream(6, 10, 1), { ...p99, carried: latencyCarry }).decision).toBe('inconclusive');
  });
});
