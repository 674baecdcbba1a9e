/**
 * The frozen baseline of the post-promotion analysis: each live window of the new revision is judged
 * against one of the stable revision's pre-switch windows, the most recent first, each used once; with
 * none left the measurement is missing. Judged by the ordinary sequential judge, a new revision as good as
 * the old passes and one three times worse fails.
 */
import { againstBaseline, restartAgainstBaseline, stableWindows } from '../../../src/analysis/baseline';
import { judgeFor } from '../../../src/analysis/judges/factory';
import type { CountWindow, Measurement } from '../../../src/analysis/types';
import type { MetricSpec } from '../../../src/plan/schema';
import { createRng } from '@ramp/sandbox/util/random';

const counts = (at: number, canary: CountWindow, stable: CountWindow): Measurement => ({
  kind: 'counts',
  at,
  canary,
  stable,
});

function binomial(rng: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng() < p) k++;
  return k;
}

describe('frozen baseline', () => {
  it('freezes the stable sides of the kept windows, most recent first, and starts the test afresh', () => {
    const analysis = {
      startedAt: 1,
      lastAt: 50,
      trafficAtLastLook: 'x',
      inconclusiveSince: 40,
      metrics: {
        errors: {
          measurements: [
            counts(10, { requests: 5, errors: 0 }, { requests: 100, errors: 1 }),
            { kind: 'missing' as const, at: 20, reason: 'no data' },
            counts(30, { requests: 6, errors: 0 }, { requests: 90, errors: 2 }),
          ],
          cursor: { v: 1 },
          carry: { v: 1 },
        },
      },
    };
    const restarted = restartAgainstBaseline(analysis, 100);
    expect(restarted).toEqual({
      startedAt: 100,
      lastAt: undefined,
      trafficAtLastLook: undefined,
      inconclusiveSince: undefined,
      metrics: {
        errors: {
          measurements: [],
          baseline: [
            { requests: 90, errors: 2 },
            { requests: 100, errors: 1 },
          ],
        },
      },
    });
  });

  it('replaces the live stable side by the next window, once each; missing when none is left', () => {
    const base = stableWindows([
      counts(1, { requests: 1, errors: 0 }, { requests: 100, errors: 1 }),
      counts(2, { requests: 1, errors: 0 }, { requests: 80, errors: 0 }),
    ]);
    const live = counts(10, { requests: 120, errors: 1 }, { requests: 0, errors: 0 });
    const a = againstBaseline(live, base);
    expect(a.measurement).toEqual({ ...live, stable: { requests: 80, errors: 0 } });
    const b = againstBaseline(live, a.baseline);
    expect(b.measurement).toEqual({ ...live, stable: { requests: 100, errors: 1 } });
    const c = againstBaseline(live, b.baseline);
    expect(c.measurement).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/^no pre-promotion window/) });
    expect(c.baseline).toEqual([]);
    const missing: Measurement = { kind: 'missing', at: 11, reason: 'down' };
    expect(againstBaseline(missing, base)).toEqual({ measurement: missing, baseline: base });
    expect(againstBaseline({ kind: 'value', at: 1, value: 3 }, base).baseline).toBe(base);
  });

  it('judged by the sequential judge: as good as before passes, three times worse fails', () => {
    const metric: MetricSpec = { name: 'errors', errorRate: { maxRatio: 1.5 } };
    const judge = judgeFor(metric);
    const rate = 0.02;
    const verdict = (factor: number, seed: number) => {
      const rng = createRng(seed);
      const window = () => ({ requests: 500, errors: binomial(rng, 500, rate) });
      const pre = Array.from({ length: 120 }, (_, i) => counts(i, window(), window()));
      let baseline = stableWindows(pre);
      const post: Measurement[] = [];
      for (let i = 0; i < 120; i++) {
        const live = counts(1000 + i, { requests: 500, errors: binomial(rng, 500, rate * factor) }, window());
        const next = againstBaseline(live, baseline);
        baseline = next.baseline;
        post.push(next.measurement as Measurement);
        const v = judge.judge(post, { metric, alpha: 0.01, analysisStartedAt: 1000, now: 1000 + i });
        if (v.decision === 'fail' || v.decision === 'pass') return v.decision;
      }
      return 'continue';
    };
    const same = Array.from({ length: 20 }, (_, s) => verdict(1, s + 1));
    expect(same.filter((d) => d === 'fail').length).toBeLessThanOrEqual(1);
    expect(same.filter((d) => d === 'pass').length).toBeGreaterThanOrEqual(15);
    const worse = Array.from({ length: 20 }, (_, s) => verdict(3, s + 101));
    expect(worse.every((d) => d === 'fail')).toBe(true);
  });
});
