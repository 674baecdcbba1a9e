/** The sequential judge on error counts: decisions, evidence, missing data, resets, spikes, late regressions. */
import { SequentialJudge } from '../../../src/analysis/judges/sequential';
import { ErrorRateStream } from '../../../src/analysis/judges/sequentialErrors';
import { DEFAULT_MIN_EXPOSURE, sequentialSettings } from '../../../src/analysis/judges/sequentialSettings';
import { FIRST_EPOCH_WEIGHT, failBoundary } from '../../../src/analysis/judges/sequentialTest';
import { judgeFor } from '../../../src/analysis/judges/factory';
import { ThresholdJudge } from '../../../src/analysis/judges/threshold';
import type { JudgeContext } from '../../../src/analysis/judge';
import type { Measurement } from '../../../src/analysis/types';
import { metricSchema, type MetricSpec } from '../../../src/plan/schema';

const judge = new SequentialJudge();
const errorsMetric = (o: Record<string, unknown> = {}): MetricSpec =>
  metricSchema.parse({ name: 'errors', errorRate: { maxRatio: 2, ...o } });
const ctx = (metric = errorsMetric(), alpha = 0.01): JudgeContext => ({ metric, alpha, analysisStartedAt: 0, now: 0 });

const counts = (at: number, c: [number, number], s: [number, number]): Measurement => ({
  kind: 'counts',
  at,
  canary: { requests: c[0], errors: c[1] },
  stable: { requests: s[0], errors: s[1] },
});
const missing = (at: number): Measurement => ({
  kind: 'missing',
  at,
  reason: 'metrics unavailable: connection refused',
});
/** n identical intervals. */
const repeat = (n: number, c: [number, number], s: [number, number], from = 0): Measurement[] =>
  Array.from({ length: n }, (_, i) => counts((from + i) * 5000, c, s));

describe('SequentialJudge: errors', () => {
  it('fails a canary with twice the error rate, with the evidence a human needs', () => {
    // Canary 4% vs stable 2% at a 10% share: every interval 100 vs 900 requests.
    const v = judge.judge(repeat(40, [100, 4], [900, 18]), ctx());
    expect(v.decision).toBe('fail');
    expect(v.reason).toMatch(
      /^canary 4\.00% errors \(\d+\/\d+\) vs stable 2\.00% \(\d+\/\d+\) \(limit 2×\): at least 1\.\d+× stable's rate \(99\.00% confidence\)$/,
    );
    // How much worse the canary is at least: above 1 (it failed), below the estimate.
    expect(v.evidence.ratioLowerBound as number).toBeGreaterThan(1);
    expect(v.evidence.ratioLowerBound as number).toBeLessThan(2);
    expect(v.evidence).toMatchObject({
      canaryErrors: expect.any(Number),
      stableErrors: expect.any(Number),
      ratio: 2,
      maxRatio: 2,
      alternative: 2,
      epoch: 1,
      alpha: 0.01,
      beta: 0.05,
      minExposure: DEFAULT_MIN_EXPOSURE,
    });
    expect(v.evidence.llr as number).toBeGreaterThanOrEqual(v.evidence.failBoundary as number);
    expect(v.evidence.failBoundary).toBeCloseTo(Math.log(1 / (0.01 * FIRST_EPOCH_WEIGHT)), 2);
  });

  it('stays failed whatever comes after (a fail is final)', () => {
    const bad = repeat(40, [100, 4], [900, 18]);
    const good = repeat(400, [100, 2], [900, 18], 40);
    expect(judge.judge([...bad, ...good], ctx()).decision).toBe('fail');
  });

  it('passes identical versions once the evidence and the exposure are there, with a bound below maxRatio', () => {
    const ms = repeat(60, [100, 2], [900, 18]);
    const v = judge.judge(ms, ctx());
    expect(v.decision).toBe('pass');
    expect(v.evidence.ratio).toBe(1);
    expect(v.evidence.ratioUpperBound as number).toBeLessThan(2);
    expect(v.evidence.passLlr as number).toBeGreaterThanOrEqual(v.evidence.passBoundary as number);
    expect(v.reason).toMatch(
      /^canary 2\.00% errors \(120\/6000\) vs stable .*: at most 1\.\d+× stable's rate \(95\.00% confidence\)$/,
    );
    // Undecided before that: how much of each outcome's evidence is there, in percent.
    const undecided = ms
      .map((_, i) => judge.judge(ms.slice(0, i + 1), ctx()))
      .find((u) => u.decision === 'continue' && (u.evidence.exposure as number) >= (u.evidence.minExposure as number));
    expect(undecided?.reason).toMatch(/; \d+% of the evidence a pass needs, \d+% of what a rollback needs$/);
  });

  it('does not pass before the minimum exposure, and says how much is missing', () => {
    const m = errorsMetric({ minRequests: 5000 });
    const early = judge.judge(repeat(40, [100, 2], [900, 18]), ctx(m));
    expect(early.decision).toBe('continue');
    expect(early.reason).toMatch(/a pass needs 5000 canary requests, 4000 so far/);
    expect(judge.judge(repeat(50, [100, 2], [900, 18]), ctx(m)).decision).toBe('pass');
  });

  it('does not roll back a spike of errors in both versions, nor a traffic ramp', () => {
    const calm = repeat(10, [100, 1], [900, 9]);
    const spike = repeat(10, [100, 30], [900, 270], 10);
    expect(judge.judge([...calm, ...spike, ...repeat(10, [100, 1], [900, 9], 20)], ctx()).decision).not.toBe('fail');
    // The share moves 5% → 50% while both versions fail 2% of requests.
    const ramp = [5, 10, 25, 50].flatMap((pct, k) =>
      repeat(10, [pct * 10, pct / 5], [(100 - pct) * 10, (100 - pct) / 5], k * 10),
    );
    expect(judge.judge(ramp, ctx()).decision).not.toBe('fail');
  });

  it('does not roll back a spike in both versions that comes with a weight step inside an interval, once the interval is marked shifted', () => {
    // 10% of 1,000 requests per interval at 1% errors; then, half-way through an interval of 5,000, the
    // weight goes to 50% as both versions spike to 10%. The interval's share (30%) understates where its
    // errors fell (mostly at 50%), so the canary seems to have far more than its share.
    const calm = repeat(20, [100, 1], [900, 9]);
    const mixed = {
      kind: 'counts',
      at: 20 * 5000,
      canary: { requests: 250 + 1250, errors: 3 + 125 },
      stable: { requests: 2250 + 1250, errors: 23 + 125 },
    } as const;
    const after = repeat(10, [500, 5], [500, 5], 21);
    const naive = judge.judge([...calm, mixed, ...after], ctx());
    expect(naive.decision).toBe('fail');
    const v = judge.judge([...calm, { ...mixed, shifted: true }, ...after], ctx());
    expect(v.decision).not.toBe('fail');
    // The marked interval still counts as exposure; the errors before and after it as evidence.
    expect(v.evidence.exposure).toBe(naive.evidence.exposure);
    expect(v.evidence.llr as number).toBeLessThan(0);
  });

  it('takes intervals where one version served nothing or nobody failed as exposure only (resets arrive as increments)', () => {
    const empty = [
      counts(1, [0, 0], [900, 9]),
      counts(2, [100, 0], [0, 0]),
      counts(3, [0, 0], [0, 0]),
      counts(4, [100, 0], [900, 0]),
    ];
    const v = judge.judge(empty, ctx());
    expect(v.decision).toBe('continue');
    expect(v.evidence).toMatchObject({ llr: 0, passLlr: 0, exposure: 200, ratio: 'NaN' });
  });

  it('passes a canary that never fails a request once its rate is surely negligible, not before', () => {
    const quiet = (n: number) => repeat(n, [100, 0], [900, 0]);
    expect(judge.judge(quiet(25), ctx()).decision).toBe('continue');
    const v = judge.judge(quiet(40), ctx());
    expect(v.decision).toBe('pass');
    expect(v.reason).toMatch(/below the negligible 0\.10%/);
  });

  it('is inconclusive when the latest measurement is missing, but keeps a fail', () => {
    const ok = repeat(60, [100, 2], [900, 18]);
    const v = judge.judge([...ok, missing(1e6)], ctx());
    expect(v.decision).toBe('inconclusive');
    expect(v.reason).toMatch(/connection refused/);
    expect(judge.judge([...repeat(40, [100, 4], [900, 18]), missing(1e6)], ctx()).decision).toBe('fail');
    expect(judge.judge([{ kind: 'value', at: 1, value: 3 }], ctx()).decision).toBe('inconclusive');
    expect(judge.judge([], ctx())).toMatchObject({ decision: 'continue', reason: 'no measurements yet' });
  });

  it('refuses to judge a query metric (it has nothing to compare)', () => {
    const q = metricSchema.parse({ name: 'q', query: 'x', threshold: { max: 1 } });
    expect(judge.judge([{ kind: 'value', at: 1, value: 0 }], ctx(q)).decision).toBe('inconclusive');
  });

  it('restarts the fail side after a pass, so a canary that turns bad later is still rolled back', () => {
    const good = repeat(200, [100, 2], [900, 18]);
    const bad = repeat(200, [100, 8], [900, 18], 200);
    const stream = new ErrorRateStream(sequentialSettings(errorsMetric(), 0.01));
    let failedAt: number | undefined;
    for (const [i, m] of [...good, ...bad].entries()) {
      if (m.kind === 'counts') stream.add(m.canary, m.stable);
      if (stream.decision === 'fail') {
        failedAt = i;
        break;
      }
    }
    expect(stream.test.epoch).toBeGreaterThan(1);
    expect(failedAt).toBeDefined();
    // Without restarts the history's −60 or so would have to be climbed first: hundreds of intervals.
    expect((failedAt as number) - 200).toBeLessThan(40);
    expect(stream.test.failBoundary).toBeCloseTo(failBoundary(0.01, stream.test.epoch), 6);
  });

  it('gives the same decisions as the stream it replays, prefix by prefix', () => {
    const ms = [...repeat(20, [50, 1], [450, 5]), missing(1), ...repeat(40, [50, 2], [450, 4], 21)];
    const stream = new ErrorRateStream(sequentialSettings(errorsMetric(), 0.01));
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      if (m.kind === 'counts') stream.add(m.canary, m.stable);
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
