/**
 * Property tests of the sequential judge: identical versions fail at most alpha of the time however the
 * traffic moves, a 5× regression fails within a stated exposure, the counts, estimate and bound at a
 * constant share do not depend on how the counts are cut into windows, and no pass comes before the
 * minimum exposure. Every stream is seeded (fast-check seeds, our PRNG for the counts).
 */
import fc from 'fast-check';
import binomial from '@stdlib/random-base-binomial';
import binomialQuantile from '@stdlib/stats-base-dists-binomial-quantile';
import { SequentialJudge } from '../../../src/analysis/judges/sequential';
import { ErrorRateStream } from '../../../src/analysis/judges/sequentialErrors';
import { sequentialSettings } from '../../../src/analysis/judges/sequentialSettings';
import type { JudgeContext } from '../../../src/analysis/judge';
import type { Measurement } from '../../../src/analysis/types';
import { metricSchema } from '../../../src/plan/schema';
import { createRng } from '@ramp/sandbox/util/random';

const judge = new SequentialJudge();

function ctx(alpha: number, minRequests?: number, maxRatio = 1.5): JudgeContext {
  return {
    metric: metricSchema.parse({ name: 'errors', errorRate: { maxRatio, minRequests } }),
    alpha,
    analysisStartedAt: 0,
    now: 0,
  };
}

const counts = (at: number, c: [number, number], s: [number, number]): Measurement => ({
  kind: 'counts',
  at,
  canary: { requests: c[0], errors: c[1] },
  stable: { requests: s[0], errors: s[1] },
});

/** A traffic pattern: requests per interval, the canary's share and both versions' base error rate over time. */
interface Pattern {
  seed: number;
  requests: number;
  share: number;
  /** 'flat', a ramp of the share up to 50%, or a common spike of errors in the middle third. */
  shape: 'flat' | 'ramp' | 'spike';
  rate: number;
}

const pattern = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  requests: fc.integer({ min: 5, max: 400 }),
  share: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
  shape: fc.constantFrom<Pattern['shape']>('flat', 'ramp', 'spike'),
  rate: fc.double({ min: 0.002, max: 0.1, noNaN: true }),
});

/**
 * Bernoulli errors over fixed request counts (not Poisson: the harder case for the conditional test,
 * whose counts are then hypergeometric), `ratio` × the base rate for the canary.
 */
function stream(p: Pattern, intervals: number, ratio: number): Measurement[] {
  const draw = binomial.factory({ prng: createRng(p.seed) });
  const out: Measurement[] = [];
  for (let i = 0; i < intervals; i++) {
    const share = p.shape === 'ramp' ? p.share + ((0.5 - p.share) * i) / intervals : p.share;
    const rate =
      p.shape === 'spike' && i >= intervals / 3 && i < (2 * intervals) / 3 ? Math.min(0.5, p.rate * 10) : p.rate;
    const nc = Math.round(p.requests * share);
    const ns = p.requests - nc;
    const ec = nc > 0 ? draw(nc, Math.min(1, rate * ratio)) : 0;
    const es = ns > 0 ? draw(ns, rate) : 0;
    out.push(counts(i * 5000, [nc, ec], [ns, es]));
  }
  return out;
}

describe('sequential judge: properties', () => {
  it('fails a canary at the tolerance (1.5× under maxRatio 1.5) at most alpha of the time (2,000 streams: flat, ramps, common spikes)', () => {
    const alpha = 0.05;
    const streams = 2000;
    const patterns = fc.sample(pattern, { seed: 20260601, numRuns: streams });
    let failed = 0;
    for (const p of patterns) if (judge.judge(stream(p, 300, 1.5), ctx(alpha)).decision === 'fail') failed++;
    // A fail is final, so the verdict on the whole stream says whether any look failed. The tolerance:
    // the 99.9th percentile of Binomial(2000, alpha), i.e. what a judge exactly at alpha exceeds 0.1% of the time.
    const tolerance = binomialQuantile(0.999, streams, alpha);
    process.stderr.write(
      `canary at the tolerance: ${failed} of ${streams} streams failed (alpha ${alpha}: expected at most ${alpha * streams}, tolerance ${tolerance})\n`,
    );
    expect(failed).toBeLessThanOrEqual(tolerance);
  });

  it('fails a 5× regression at a share up to 30% within 4,000 canary requests (maxRatio 1.5: 3.3× the tolerance; Wald needs 150–500 knowing the stable’s rate, and conditioning on it costs more as the share grows), never passing it first', () => {
    fc.assert(
      fc.property(pattern, (p) => {
        const ms = stream(
          { ...p, rate: Math.max(p.rate, 0.01), requests: Math.max(p.requests, 100), share: Math.min(p.share, 0.3) },
          600,
          5,
        );
        // A fail is final: the first failing prefix is found by bisection on the judge's verdicts.
        const failsBy = (i: number) => judge.judge(ms.slice(0, i), ctx(0.01)).decision === 'fail';
        if (!failsBy(ms.length)) return false;
        let lo = 0;
        let hi = ms.length;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (failsBy(mid)) hi = mid;
          else lo = mid;
        }
        const prefix = ms.slice(0, hi);
        const served = prefix.reduce((n, m) => n + (m.kind === 'counts' ? m.canary.requests : 0), 0);
        // No pass on the way: the stream the judge replays, looked at after every interval.
        const s = new ErrorRateStream(sequentialSettings(ctx(0.01).metric, 0.01));
        for (const m of prefix) {
          if (m.kind === 'counts') s.add(m.canary, m.stable);
          expect(s.decision).not.toBe('pass');
        }
        return served <= 4000;
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('at a constant share, gives the same counts, estimate and bound however the counts are cut into windows', () => {
    const interval = fc.record({
      k: fc.integer({ min: 1, max: 20 }),
      ec: fc.integer({ min: 0, max: 3 }),
      es: fc.integer({ min: 0, max: 12 }),
    });
    fc.assert(
      fc.property(
        fc.array(interval, { minLength: 2, maxLength: 25 }),
        fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        (ivs, cuts, a, b) => {
          // Canary a·k and stable b·k requests: the share is a/(a+b) in every interval and in every merge of them.
          const fine = ivs.map((iv, i) =>
            counts(i, [a * iv.k * 10, Math.min(iv.ec, a * iv.k * 10)], [b * iv.k * 10, Math.min(iv.es, b * iv.k * 10)]),
          );
          const coarse: Measurement[] = [];
          for (const [i, m] of fine.entries()) {
            const last = coarse[coarse.length - 1];
            if (i > 0 && cuts[i] && last?.kind === 'counts' && m.kind === 'counts') {
              coarse[coarse.length - 1] = counts(
                m.at,
                [last.canary.requests + m.canary.requests, last.canary.errors + m.canary.errors],
                [last.stable.requests + m.stable.requests, last.stable.errors + m.stable.errors],
              );
            } else coarse.push(m);
          }
          const c = ctx(0.01, 50);
          const vf = judge.judge(fine, c);
          const vc = judge.judge(coarse, c);
          for (const key of ['canaryErrors', 'stableErrors', 'ratio', 'ratioUpperBound', 'exposure'] as const) {
            const x = vf.evidence[key];
            const y = vc.evidence[key];
            if (typeof x === 'number' && typeof y === 'number')
              expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(x)));
            else expect(y).toEqual(x);
          }
          // The evidences' alternatives follow the data window by window (chosen before each is seen), so
          // their values, and the decisions, depend on the cuts; what the data say does not.
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('never passes before the minimum exposure', () => {
    fc.assert(
      fc.property(pattern, fc.integer({ min: 1, max: 5000 }), fc.constantFrom(0.5, 1, 2), (p, minRequests, ratio) => {
        const ms = stream({ ...p, rate: Math.max(p.rate, 0.02) }, 120, ratio);
        let served = 0;
        for (let i = 1; i <= ms.length; i++) {
          served += (ms[i - 1] as Extract<Measurement, { kind: 'counts' }>).canary.requests;
          const v = judge.judge(ms.slice(0, i), ctx(0.05, minRequests));
          if (v.decision === 'pass') {
            expect(served).toBeGreaterThanOrEqual(minRequests);
            expect(v.evidence.exposure).toBe(served);
          }
        }
      }),
      { seed: 99, numRuns: 80 },
    );
  });
});
