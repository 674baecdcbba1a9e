/** The sequential judge on error counts: the tolerance, the margin, decisions in words, pods that differ, dispersion, low traffic. */
import { SequentialJudge } from '../../../src/analysis/judges/sequential';
import { ErrorRateStream } from '../../../src/analysis/judges/sequentialErrors';
import {
  DEFAULT_MIN_EXPOSURE,
  TEST_ALPHA_SHARE,
  sequentialSettings,
} from '../../../src/analysis/judges/sequentialSettings';
import { FIRST_EPOCH_WEIGHT, failBoundary } from '../../../src/analysis/judges/sequentialTest';
import { MAX_SPREAD_FACTOR } from '../../../src/analysis/stats/podSpread';
import { judgeFor } from '../../../src/analysis/judges/factory';
import { ThresholdJudge } from '../../../src/analysis/judges/threshold';
import type { JudgeContext } from '../../../src/analysis/judge';
import type { Baseline, Measurement, PodCounts } from '../../../src/analysis/types';
import { metricSchema, type MetricSpec } from '../../../src/plan/schema';

const judge = new SequentialJudge();
const errorsMetric = (o: Record<string, unknown> = {}): MetricSpec =>
  metricSchema.parse({ name: 'errors', errorRate: { maxRatio: 1.5, ...o } });
const ctx = (metric = errorsMetric(), alpha = 0.01, now = 0): JudgeContext => ({
  metric,
  alpha,
  analysisStartedAt: 0,
  now,
});

const counts = (at: number, c: [number, number], s: [number, number], pods?: PodCounts[]): Measurement => ({
  kind: 'counts',
  at,
  from: at - 5000,
  to: at,
  canary: { requests: c[0], errors: c[1] },
  stable: { requests: s[0], errors: s[1] },
  ...(pods ? { pods } : {}),
});
const missing = (at: number): Measurement => ({
  kind: 'missing',
  at,
  reason: 'metrics unavailable: connection refused',
});
/** n identical 5 s windows. */
const repeat = (n: number, c: [number, number], s: [number, number], from = 0): Measurement[] =>
  Array.from({ length: n }, (_, i) => counts((from + i + 1) * 5000, c, s));

/** A baseline of `pods` stable pods with the given error rates over an hour, and 12 bins of 5 minutes. */
function baseline(rates: number[], requestsPerPod = 36_000, binErrors?: number[]): Baseline {
  const pods = rates.map((r, i) => ({
    pod: `web-s-${i}`,
    role: 'stable' as const,
    requests: requestsPerPod,
    errors: Math.round(requestsPerPod * r),
  }));
  const total = pods.reduce((a, p) => a + p.requests, 0);
  const errors = pods.reduce((a, p) => a + p.errors, 0);
  const bins = (binErrors ?? Array.from({ length: 12 }, () => errors / 12)).map((e) => ({
    requests: total / 12,
    errors: e,
  }));
  return { kind: 'baseline', at: 0, lookbackMs: 3_600_000, binMs: 300_000, pods, bins };
}

describe('SequentialJudge: errors, tolerance semantics', () => {
  it('rolls back a canary at detectRatio, saying which hypothesis it rejects and by how much the canary is worse', () => {
    // Canary 2% vs stable 1% at a 10% share: every window 1,000 vs 9,000 requests, at exactly the rates.
    const v = judge.judge(repeat(60, [1000, 20], [9000, 90]), ctx());
    expect(v.decision).toBe('fail');
    expect(v.reason).toMatch(
      /^canary 2\.00% errors \(\d+\/\d+\) vs stable 1\.00% \(\d+\/\d+\) \(limit 1\.5× or \+0\.10%\): above the tolerance of 1\.5× or \+0\.10%: at least 1\.\d+× stable's rate \(99\.00% confidence\)$/,
    );
    expect(v.evidence.rejected).toBe("the canary's error rate is at most 1.5× the stable's or at most 0.10% above it");
    expect(v.evidence).toMatchObject({
      maxRatio: 1.5,
      detectRatio: 2,
      maxIncrease: 0.001,
      detectIncrease: 0.01,
      epoch: 1,
    });
    expect(v.evidence.failLlr as number).toBeGreaterThanOrEqual(v.evidence.failBoundary as number);
    expect(v.evidence.failBoundary).toBeCloseTo(Math.log(1 / (0.01 * TEST_ALPHA_SHARE * FIRST_EPOCH_WEIGHT)), 2);
  });

  it('never rolls back a canary inside the tolerance (1.3× under maxRatio 1.5), however much it sees', () => {
    // The issue's case: the old judge tested maxRatio against 1 and rolled this back in most runs.
    const ms = repeat(2000, [1000, 13], [9000, 90]);
    const v = judge.judge(ms, ctx());
    expect(v.decision).not.toBe('fail');
    expect(v.evidence.failLlr as number).toBeLessThan(0);
  });

  it('passes identical versions, saying it rejected the regression to detect', () => {
    const v = judge.judge(repeat(60, [100, 1], [900, 9]), ctx());
    expect(v.decision).toBe('pass');
    expect(v.reason).toMatch(
      /^canary 1\.00% errors \(60\/6000\) vs stable 1\.00% \(540\/54000\) \(limit 1\.5× or \+0\.10%\): not a regression of 2× and \+1\.00%: at most \d\.\d+× stable's rate \(95\.00% confidence\)$/,
    );
    expect(v.evidence.rejected).toBe("the canary's error rate is at least 2× the stable's and at least 1.00% above it");
    // Undecided before that: how much of each outcome's evidence is there, in percent.
    const ms = repeat(60, [100, 1], [900, 9]);
    const undecided = ms
      .map((_, i) => judge.judge(ms.slice(0, i + 1), ctx()))
      .find((u) => u.decision === 'continue' && (u.evidence.exposure as number) >= (u.evidence.minExposure as number));
    expect(undecided?.reason).toMatch(/; \d+% of the evidence a pass needs, \d+% of what a rollback needs(;|$)/);
    expect(v.evidence.passLlr as number).toBeGreaterThanOrEqual(v.evidence.passBoundary as number);
  });

  it('stays failed whatever comes after (a fail is final)', () => {
    const bad = repeat(60, [1000, 30], [9000, 90]);
    const good = repeat(400, [1000, 10], [9000, 90], 60);
    expect(judge.judge([...bad, ...good], ctx()).decision).toBe('fail');
  });

  it('does not pass before the minimum exposure, and says how much is missing', () => {
    const m = errorsMetric({ minRequests: 5000 });
    const early = judge.judge(repeat(40, [100, 1], [900, 9]), ctx(m));
    expect(early.decision).toBe('continue');
    expect(early.reason).toMatch(/a pass needs 5000 canary requests, 4000 so far/);
    expect(judge.judge(repeat(60, [100, 1], [900, 9]), ctx(m)).decision).toBe('pass');
    expect(DEFAULT_MIN_EXPOSURE).toBe(500);
  });

  it('does not roll back a spike of errors in both versions, nor a traffic ramp', () => {
    const calm = repeat(10, [100, 1], [900, 9]);
    const spike = repeat(10, [100, 30], [900, 270], 10);
    expect(judge.judge([...calm, ...spike, ...repeat(10, [100, 1], [900, 9], 20)], ctx()).decision).not.toBe('fail');
    const ramp = [5, 10, 25, 50].flatMap((pct, k) =>
      repeat(10, [pct * 10, pct / 5], [(100 - pct) * 10, (100 - pct) / 5], k * 10),
    );
    expect(judge.judge(ramp, ctx()).decision).not.toBe('fail');
  });

  it('takes a window across a weight step as exposure only once it is marked shifted', () => {
    // Half-way through a window of 5,000 requests the weight goes 10% → 50% as both versions spike to
    // 20%: the window's share (30%) understates where its errors fell, so the canary seems far worse.
    const calm = repeat(20, [100, 1], [900, 9]);
    const mixed = { ...counts(21 * 5000, [250 + 1250, 3 + 250], [2250 + 1250, 23 + 250]) } as Measurement;
    const after = repeat(10, [500, 5], [500, 5], 21);
    const m = errorsMetric({ maxRatio: 1.2, detectRatio: 1.5, maxIncrease: 0 });
    expect(judge.judge([...calm, mixed, ...after], ctx(m)).decision).toBe('fail');
    const v = judge.judge([...calm, { ...mixed, shifted: true } as Measurement, ...after], ctx(m));
    expect(v.decision).not.toBe('fail');
    expect(v.evidence.exposure).toBe(20 * 100 + 1500 + 10 * 500);
  });
});

describe('SequentialJudge: the absolute margin and rare errors', () => {
  it('never rolls back a canary within maxIncrease of a stable with rare errors (0.19% against 0.1%)', () => {
    const v = judge.judge(repeat(3000, [10000, 19], [90000, 90]), ctx());
    expect(v.decision).not.toBe('fail');
    expect(v.evidence).toMatchObject({ maxIncrease: 0.001 });
  });

  it('rolls back a canary far above the margin where the stable has no errors at all', () => {
    const v = judge.judge(repeat(200, [100, 2], [900, 0]), ctx());
    expect(v.decision).toBe('fail');
  });

  it('passes identical versions with no errors once the canary is surely under detectIncrease and has its minimum exposure', () => {
    // 300 error-free requests show the rate is below 1% (β 5%); the pass waits for 500.
    expect(judge.judge(repeat(4, [100, 0], [900, 0]), ctx()).decision).toBe('continue');
    const v = judge.judge(repeat(5, [100, 0], [900, 0]), ctx());
    expect(v.decision).toBe('pass');
  });
});

describe('SequentialJudge: pods that differ, rates that move', () => {
  const stableRates = [0.005, 0.007, 0.009, 0.01, 0.01, 0.011, 0.013, 0.015, 0.02];

  /** Windows of 9 stable pods at their own rates and one canary pod at `canaryRate`. */
  const podWindows = (n: number, canaryRate: number): Measurement[] =>
    Array.from({ length: n }, (_, i) => {
      const pods: PodCounts[] = stableRates.map((r, j) => ({
        pod: `web-s-${j}`,
        role: 'stable',
        requests: 1000,
        errors: 1000 * r,
      }));
      pods.push({ pod: 'web-c-0', role: 'canary', requests: 1000, errors: 1000 * canaryRate });
      const stableErrors = pods.filter((p) => p.role === 'stable').reduce((a, p) => a + p.errors, 0);
      return counts((i + 1) * 5000, [1000, 1000 * canaryRate], [9000, stableErrors], pods);
    });

  it('does not roll back one canary pod that is as far from the mean as the stable pods are from each other', () => {
    // The stable's pods range 0.5%–2% (CV ≈ 0.4); a canary pod at 2.3% is 2.3× the mean, one pod's luck.
    const ms: Measurement[] = [baseline(stableRates), ...podWindows(600, 0.023)];
    const v = judge.judge(ms, ctx());
    expect(v.decision).not.toBe('fail');
    expect(v.evidence.podSpreadCv as number).toBeGreaterThan(0.2);
    expect(v.evidence.podSpreadBound as number).toBeGreaterThan(2);
    expect(v.reason).toMatch(/pods differ \(CV 0\.\d+, so up to \d+(\.\d+)?× may be the pods' luck\)/);
    // Without the baseline's pods (one pod per version, no spread to see) the same windows roll back.
    const plain = podWindows(600, 0.023).map((m) => ({ ...m, pods: undefined }) as Measurement);
    expect(judge.judge(plain, ctx()).decision).toBe('fail');
  });

  it('still rolls back a canary pod far beyond what the spread explains', () => {
    const ms: Measurement[] = [baseline(stableRates), ...podWindows(300, 0.15)];
    expect(judge.judge(ms, ctx()).decision).toBe('fail');
  });

  it('counts no spread where the pods differ only by sampling noise', () => {
    const ms: Measurement[] = [baseline(Array(9).fill(0.01)), ...repeat(30, [100, 1], [900, 9])];
    expect(judge.judge(ms, ctx()).evidence).toMatchObject({ podSpreadCv: 0, podSpreadBound: 1 });
  });

  it('allows for a stable whose rate moved far more over time than sampling explains', () => {
    const moving = [60, 700, 120, 10, 400, 90, 50, 900, 30, 250, 80, 500];
    const ms: Measurement[] = [baseline(Array(9).fill(0.01), 36_000, moving), ...repeat(30, [100, 1], [900, 9])];
    const v = judge.judge(ms, ctx());
    expect(v.evidence.stableDispersion as number).toBeGreaterThan(10);
    expect(v.evidence.dispersion as number).toBeGreaterThan(1.5);
  });
});

describe('SequentialJudge: data, time and epochs', () => {
  it('is inconclusive when the latest window is missing, but keeps a fail; a baseline alone is no window yet', () => {
    const ok = repeat(60, [100, 1], [900, 9]);
    const v = judge.judge([...ok, missing(1e6)], ctx());
    expect(v.decision).toBe('inconclusive');
    expect(v.reason).toMatch(/connection refused/);
    expect(judge.judge([...repeat(60, [1000, 30], [9000, 90]), missing(1e6)], ctx()).decision).toBe('fail');
    expect(judge.judge([{ kind: 'value', at: 1, value: 3 }], ctx()).decision).toBe('inconclusive');
    expect(judge.judge([baseline([0.01, 0.01])], ctx())).toMatchObject({
      decision: 'continue',
      reason: 'no windows yet: waiting until every pod of both versions has been scraped',
    });
  });

  it('refuses to judge a query metric (it has nothing to compare)', () => {
    const q = metricSchema.parse({ name: 'q', query: 'x', threshold: { max: 1 } });
    expect(judge.judge([{ kind: 'value', at: 1, value: 0 }], ctx(q)).decision).toBe('inconclusive');
  });

  it('says how long a pass will take at this traffic, and turns inconclusive after decideWithin', () => {
    // 5 requests/min, 10% share: half a canary request a minute.
    const slow = Array.from({ length: 20 }, (_, i) => counts((i + 1) * 60_000, [i % 2, 0], [4.5, 0.045]));
    const early = judge.judge(slow, ctx(errorsMetric(), 0.01, 20 * 60_000));
    expect(early.decision).toBe('continue');
    expect(early.reason).toMatch(
      /at 0\.5 canary requests\/min, passing identical versions needs \d+ more canary requests \(about \d+(\.\d+)? (h|days)\)/,
    );
    expect(early.evidence.passEtaMinutes as number).toBeGreaterThan(60);
    const late = judge.judge(slow, ctx(errorsMetric({ decideWithin: '15m' }), 0.01, 20 * 60_000));
    expect(late.decision).toBe('inconclusive');
    expect(late.reason).toMatch(/^undecided after 20m \(decideWithin 15m\)/);
  });

  it('restarts the fail side after a pass, so a canary that turns bad later is still rolled back', () => {
    const good = repeat(200, [1000, 10], [9000, 90]);
    const bad = repeat(200, [1000, 40], [9000, 90], 200);
    const stream = new ErrorRateStream(sequentialSettings(errorsMetric(), 0.01));
    let failedAt: number | undefined;
    for (const [i, m] of [...good, ...bad].entries()) {
      if (m.kind === 'counts') stream.add(m.canary, m.stable, { from: m.from, to: m.to });
      if (stream.decision === 'fail') {
        failedAt = i;
        break;
      }
    }
    expect(stream.test.epoch).toBeGreaterThan(1);
    expect(failedAt).toBeDefined();
    expect((failedAt as number) - 200).toBeLessThan(40);
    expect(stream.test.failBoundary).toBeCloseTo(failBoundary(0.01 * TEST_ALPHA_SHARE, stream.test.epoch), 6);
  });

  it('gives the same decisions as the stream it replays, prefix by prefix', () => {
    const ms = [
      baseline(Array(4).fill(0.01)),
      ...repeat(20, [50, 1], [450, 5]),
      missing(1),
      ...repeat(40, [50, 2], [450, 4], 21),
    ];
    const stream = new ErrorRateStream(sequentialSettings(errorsMetric(), 0.01));
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      if (m.kind === 'baseline') stream.addBaseline(m);
      if (m.kind === 'counts') stream.add(m.canary, m.stable, { from: m.from, to: m.to });
      const v = judge.judge(ms.slice(0, i + 1), ctx());
      expect(v.decision).toBe(m.kind === 'missing' && stream.decision !== 'fail' ? 'inconclusive' : stream.decision);
    }
  });
});

describe('judgeFor', () => {
  it('gives errorRate and latency the sequential judge by default, threshold when they ask, queries threshold', () => {
    expect(judgeFor(errorsMetric())).toBeInstanceOf(SequentialJudge);
    expect(judgeFor(metricSchema.parse({ name: 'l', latency: { quantile: 0.99, maxRatio: 1.2 } }))).toBeInstanceOf(
      SequentialJudge,
    );
    expect(judgeFor(errorsMetric({ judge: 'threshold' }))).toBeInstanceOf(ThresholdJudge);
    expect(judgeFor(metricSchema.parse({ name: 'q', query: 'x', threshold: { max: 1 } }))).toBeInstanceOf(
      ThresholdJudge,
    );
  });
});

describe('SequentialJudge: a bad canary against a stable with no errors at all, few pods (the demo)', () => {
  /**
   * The demo's bad v3, as the sandbox measured it: 4 stable pods never failing; the canary's first pod
   * failing 30% of its requests; 2 s windows at 200 requests/s. The first windows are across changes of
   * the split (20%, then 50%: exposure only); at 50%, still inside them, a second, healthy canary pod
   * takes half the canary's traffic: 15% errors against 0%. Judge v2 took the two canary pods' difference for pods' luck (one
   * degree of freedom: a bound of 1e64) and never rolled back.
   */
  const demoWindows = (n: number, canaryPodRates: readonly number[]): Measurement[] =>
    Array.from({ length: n }, (_, i) => {
      const early = i < 4;
      const rates = early ? canaryPodRates.slice(0, 1) : canaryPodRates;
      const canaryRequests = early ? 80 : 200;
      const shifted = i < 6;
      const pods: PodCounts[] = [0, 1, 2, 3].map((j) => ({
        pod: `checkout-s-${j}`,
        role: 'stable',
        requests: (400 - canaryRequests) / 4,
        errors: 0,
      }));
      for (const [j, r] of rates.entries()) {
        const requests = canaryRequests / rates.length;
        pods.push({ pod: `checkout-c-${j}`, role: 'canary', requests, errors: Math.round(requests * r) });
      }
      const canaryErrors = pods.filter((p) => p.role === 'canary').reduce((a, p) => a + p.errors, 0);
      const m = counts((i + 1) * 2000, [canaryRequests, canaryErrors], [400 - canaryRequests, 0], pods);
      return shifted ? ({ ...m, shifted: true } as Measurement) : m;
    });

  it.each([
    ['one canary pod at 30%', [0.3]],
    ['two canary pods, one at 30% and one at 0%', [0.3, 0]],
    ['two canary pods at 30%', [0.3, 0.3]],
  ])('rolls back %s within a minute', (_, rates) => {
    const ms: Measurement[] = [baseline([0, 0, 0, 0], 3600), ...demoWindows(30, rates)];
    const v = judge.judge(ms, ctx());
    expect(v.decision).toBe('fail');
    expect(v.reason).toMatch(/: above the tolerance of 1\.5× or \+0\.10%: at least [\d.]+× stable's rate/);
    // The canary's own pods never widen the allowance: a canary whose pods differ more than the stable's is
    // what a regression on some of its pods looks like.
    expect(v.evidence.podSpreadBound).toBe(1);
  });

  it('rolls back a canary at 30% when one of only 4 stable pods fails now and then (few pods: a loose spread estimate)', () => {
    // One stable pod at 1% and three at 0%: the pods differ (Cochran's Q), but 3 degrees of freedom put
    // the bound on pods' luck in the thousands; it is capped, so 30% against 0.25% is still a regression.
    const flaky = (ms: Measurement[]): Measurement[] =>
      ms.map((m) => {
        if (m.kind !== 'counts' || !m.pods) return m;
        const pods = m.pods.map((p) => (p.pod === 'checkout-s-0' ? { ...p, errors: p.requests * 0.01 } : p));
        return { ...m, pods, stable: { ...m.stable, errors: m.stable.requests * 0.0025 } };
      });
    const ms: Measurement[] = [baseline([0.01, 0, 0, 0], 3600), ...flaky(demoWindows(60, [0.3]))];
    const v = judge.judge(ms, ctx());
    expect(v.decision).toBe('fail');
    expect(v.evidence.podSpreadBound as number).toBeLessThanOrEqual(MAX_SPREAD_FACTOR);
  });
});
