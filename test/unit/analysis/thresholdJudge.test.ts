/** The threshold judge on all three metric kinds: bounds, failureLimit, consecutive, windows, missing data. */
import fc from 'fast-check';
import { ThresholdJudge, BUILT_IN_RULES } from '../../../src/analysis/judges/threshold';
import type { JudgeContext } from '../../../src/analysis/judge';
import type { HistogramWindow, Measurement } from '../../../src/analysis/types';
import { metricSchema, type MetricSpec } from '../../../src/plan/schema';

const judge = new ThresholdJudge();
const metric = (m: unknown): MetricSpec => metricSchema.parse(m);
const ctx = (m: MetricSpec): JudgeContext => ({ metric: m, alpha: 0.01, analysisStartedAt: 0, now: 1e9 });

const value = (at: number, v: number): Measurement => ({ kind: 'value', at, value: v });
const missing = (at: number): Measurement => ({ kind: 'missing', at, reason: 'prometheus unavailable' });
const counts = (at: number, canary: [number, number], stable: [number, number]): Measurement => ({
  kind: 'counts',
  at,
  canary: { requests: canary[0], errors: canary[1] },
  stable: { requests: stable[0], errors: stable[1] },
});

describe('ThresholdJudge: query metrics', () => {
  const q = metric({ name: 'depth', query: 'max(x)', threshold: { max: 100 } });
  const run = (ms: Measurement[], m = q) => judge.judge(ms, ctx(m));

  it('passes after three values within the bound, not before', () => {
    expect(run([value(1, 5)]).decision).toBe('continue');
    expect(run([value(1, 5), value(2, 50)]).decision).toBe('continue');
    const v = run([value(1, 5), value(2, 50), value(3, 100)]);
    expect(v).toMatchObject({
      metric: 'depth',
      decision: 'pass',
      evidence: { value: 100, max: 100, checks: 3, failures: 0, failureLimit: 0 },
    });
  });

  it('fails on the first value out of bounds with failureLimit 0, and stays failed', () => {
    const v = run([value(1, 5), value(2, 101)]);
    expect(v.decision).toBe('fail');
    expect(v.reason).toMatch(/1 failed checks > failureLimit 0/);
    expect(v.evidence).toMatchObject({ value: 101, failures: 1 });
    expect(run([value(1, 101), value(2, 1), value(3, 1), value(4, 1)]).decision).toBe('fail');
  });

  it('tolerates failureLimit failures', () => {
    const m = metric({ name: 'depth', query: 'max(x)', threshold: { min: 10, max: 100, failureLimit: 1 } });
    expect(run([value(1, 5), value(2, 50), value(3, 50), value(4, 50)], m).decision).toBe('pass');
    expect(run([value(1, 5), value(2, 50), value(3, 500)], m)).toMatchObject({
      decision: 'fail',
      evidence: { failures: 2, failureLimit: 1 },
    });
  });

  it('fails on `consecutive` failures in a row even within failureLimit', () => {
    const m = metric({ name: 'depth', query: 'max(x)', threshold: { max: 100, failureLimit: 5, consecutive: 2 } });
    expect(run([value(1, 200), value(2, 1), value(3, 200), value(4, 1)], m).decision).toBe('pass');
    // Missing data between two failures neither breaks nor extends the run.
    const v = run([value(1, 1), value(2, 200), missing(3), value(4, 200)], m);
    expect(v.decision).toBe('fail');
    expect(v.reason).toMatch(/2 failed checks in a row/);
  });

  it('is inconclusive when the latest measurement is missing, never a pass', () => {
    const v = run([value(1, 1), value(2, 1), value(3, 1), missing(4)]);
    expect(v.decision).toBe('inconclusive');
    expect(v.evidence.missing).toBe('prometheus unavailable');
    expect(run([missing(1), missing(2), missing(3)]).decision).toBe('inconclusive');
    expect(run([]).decision).toBe('continue');
  });

  it('never passes on missing data or without three in-bound values, and a fail is final (property)', () => {
    const m = metric({
      name: 'depth',
      query: 'max(x)',
      threshold: { min: 0, max: 10, failureLimit: 2, consecutive: 3 },
    });
    const arb = fc.array(fc.oneof(fc.constant<number | null>(null), fc.integer({ min: -5, max: 15 })), {
      maxLength: 30,
    });
    fc.assert(
      fc.property(arb, (xs) => {
        const ms = xs.map((x, i) => (x === null ? missing(i) : value(i, x)));
        const v = run(ms, m);
        const last = xs[xs.length - 1];
        if (v.decision === 'pass') {
          expect(last !== null && last !== undefined && last >= 0 && last <= 10).toBe(true);
          expect(xs.filter((x) => x !== null).length).toBeGreaterThanOrEqual(3);
        }
        if (last === null) expect(['inconclusive', 'fail']).toContain(v.decision);
        // Once failed, any continuation is still failed.
        if (v.decision === 'fail')
          expect(run([...ms, value(99, 5), value(100, 5), value(101, 5)], m).decision).toBe('fail');
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});

describe('ThresholdJudge: errorRate', () => {
  const e = metric({ name: 'errors', errorRate: { maxRatio: 1.5 } });
  const run = (ms: Measurement[], m = e, j = judge) => j.judge(ms, ctx(m));

  it('passes a canary as good as stable after three checks', () => {
    const ms = [
      counts(5_000, [400, 4], [1600, 16]),
      counts(10_000, [400, 4], [1600, 16]),
      counts(15_000, [400, 4], [1600, 16]),
    ];
    expect(run(ms.slice(0, 2)).decision).toBe('continue');
    const v = run(ms);
    expect(v.decision).toBe('pass');
    // The window holds all three: 1200 requests, 12 errors each side's share.
    expect(v.evidence).toMatchObject({
      canaryRequests: 1200,
      canaryErrors: 12,
      stableRequests: 4800,
      stableErrors: 48,
      canaryRate: 0.01,
      stableRate: 0.01,
      ratio: 1,
      bound: 0.016,
      slack: 0.001,
    });
  });

  it('fails a canary above maxRatio × stable + slack, with the evidence', () => {
    const v = run([counts(5_000, [1000, 20], [4000, 40])]);
    expect(v.decision).toBe('fail');
    expect(v.evidence).toMatchObject({
      canaryRate: 0.02,
      stableRate: 0.01,
      ratio: 2,
      maxRatio: 1.5,
      bound: 0.016,
      failures: 1,
      failureLimit: 0,
      consecutive: BUILT_IN_RULES.consecutive,
    });
    expect(v.reason).toMatch(/canary error rate 2\.00% \(20\/1000\) > bound 1\.60%/);
  });

  it('does not fail on one canary error when stable has none', () => {
    expect(run([counts(5_000, [200, 1], [800, 0])])).toMatchObject({
      decision: 'continue',
      evidence: { bound: 0.005, slack: 0.005, failures: 0 },
    });
    expect(run([counts(5_000, [200, 2], [800, 0])]).decision).toBe('fail');
  });

  it('waits for minRequests canary requests in the window', () => {
    const v = run([counts(5_000, [60, 30], [300, 0])]);
    expect(v.decision).toBe('continue');
    expect(v.evidence).toMatchObject({ canaryRequests: 60, minRequests: 100 });
    const custom = metric({ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 50 } });
    expect(run([counts(5_000, [60, 30], [300, 0])], custom).decision).toBe('fail');
  });

  it('is inconclusive when the latest measurement is missing or stable served nothing', () => {
    expect(run([counts(5_000, [400, 4], [1600, 16]), missing(10_000)]).decision).toBe('inconclusive');
    expect(run([counts(5_000, [400, 0], [0, 0])])).toMatchObject({
      decision: 'inconclusive',
      reason: expect.stringMatching(/stable served no requests/),
    });
  });

  it('judges the last 60 s only', () => {
    const lenient = new ThresholdJudge({ builtInRules: { failureLimit: 10 } });
    const ms = [
      counts(0, [1000, 300], [1000, 10]),
      counts(30_000, [500, 5], [500, 5]),
      counts(70_000, [500, 5], [500, 5]),
    ];
    // At 70 s the window (10 s, 70 s] holds the last two measurements; the burst at 0 s has left it.
    expect(run(ms, e, lenient).evidence).toMatchObject({ canaryRequests: 1000, canaryErrors: 10, failures: 2 });
  });

  it('with a raised failureLimit, fails on `consecutive` failed checks in a row', () => {
    const j = new ThresholdJudge({ builtInRules: { failureLimit: 5, consecutive: 3 } });
    const bad = (at: number) => counts(at, [1000, 50], [1000, 10]);
    expect(run([bad(0), bad(5_000)], e, j).decision).toBe('continue');
    expect(run([bad(0), bad(5_000), bad(10_000)], e, j).decision).toBe('fail');
  });
});

/** A histogram window from observations (seconds) on the demo app's buckets. */
function hist(observations: number[]): HistogramWindow {
  const les = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1];
  return {
    buckets: les.map((le) => ({ le, count: observations.filter((o) => o <= le).length })),
    count: observations.length,
  };
}
const spread = (n: number, scale: number) => Array.from({ length: n }, (_, i) => (scale * (i + 1)) / n);

describe('ThresholdJudge: latency', () => {
  const l = metric({ name: 'latency', latency: { quantile: 0.9, maxRatio: 1.2 } });
  const run = (ms: Measurement[]) => judge.judge(ms, ctx(l));
  const at = (t: number, canary: number[], stable: number[]): Measurement => ({
    kind: 'histogram',
    at: t,
    canary: hist(canary),
    stable: hist(stable),
  });

  it('passes a canary as fast as stable after three checks', () => {
    const same = (t: number) => at(t, spread(200, 0.1), spread(800, 0.1));
    expect(run([same(5_000), same(10_000)]).decision).toBe('continue');
    const v = run([same(5_000), same(10_000), same(15_000)]);
    expect(v.decision).toBe('pass');
    expect(v.evidence).toMatchObject({ canaryCount: 600, stableCount: 2400, ratio: 1, quantile: 0.9 });
  });

  it('fails a canary whose quantile exceeds maxRatio × stable, with both quantiles in ms', () => {
    const v = run([at(5_000, spread(200, 0.4), spread(800, 0.1))]);
    expect(v.decision).toBe('fail');
    // Stable: rank 720 of 800; 600 are ≤ 0.075, 200 in (0.075, 0.1] → 0.075 + 0.025 × 120/200 = 90 ms.
    // Canary: rank 180 of 200; 125 are ≤ 0.25, 75 in (0.25, 0.5] → 0.25 + 0.25 × 55/75 = 433.3 ms.
    expect(v.evidence.stableMs).toBeCloseTo(90, 6);
    expect(v.evidence.canaryMs).toBeCloseTo(433.3, 6);
    expect(v.evidence.boundMs).toBeCloseTo(108, 6);
    expect(v.reason).toMatch(/canary p90 433\.3 ms > bound 108 ms = 1\.2 × stable p90 90 ms/);
  });

  it('waits for minRequests, and is inconclusive with missing data or no stable traffic', () => {
    expect(run([at(5_000, spread(50, 0.1), spread(800, 0.1))]).decision).toBe('continue');
    expect(run([at(5_000, spread(200, 0.1), spread(800, 0.1)), missing(10_000)]).decision).toBe('inconclusive');
    expect(run([at(5_000, spread(200, 0.1), [])]).decision).toBe('inconclusive');
  });
});
