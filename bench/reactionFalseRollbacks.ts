/**
 * The other side of the reaction benchmark: how often each of its configurations (a judge at an analysis
 * interval) rolls back a canary that is exactly as good as stable, at the same traffic. A judge that
 * reacts fast only because it fails on little evidence pays for it here. Offline and seeded: identical
 * versions drawn as the judgement benchmark draws them (Poisson requests per second, each version at the
 * same error rate), judged by the engine's own judges (judges/factory.ts) on the measurements they would
 * get at that interval, for a fixed length of analysis. The 1 s and 5 s configurations see the same
 * seconds, summed into intervals.
 */
import { judgeFor } from '../src/analysis/judges/factory';
import type { Measurement } from '../src/analysis/types';
import { metricSchema } from '../src/plan/schema';
import { createRng, seedFromString } from '@ramp/sandbox/util/random';
import { drawCounts, poissonFrom } from './judgement/traffic';

export interface FalseRollbackSetting {
  ratePerSecond: number;
  canaryShare: number;
  errorRate: number;
  maxRatio: number;
  alpha: number;
  analysisSeconds: number;
  runs: number;
}

export interface JudgeAtInterval {
  judge: 'sequential' | 'threshold';
  intervalSeconds: number;
}

/** Identical versions' counts, one entry per second. */
function seconds(s: FalseRollbackSetting, run: number): Extract<Measurement, { kind: 'counts' }>[] {
  const draw = poissonFrom(createRng(seedFromString(`reaction-false-rollbacks:${run}`)));
  return Array.from({ length: s.analysisSeconds }, (_, i) => ({
    kind: 'counts' as const,
    at: (i + 1) * 1000,
    canary: drawCounts(draw, s.ratePerSecond * s.canaryShare, s.errorRate),
    stable: drawCounts(draw, s.ratePerSecond * (1 - s.canaryShare), s.errorRate),
  }));
}

/** Seconds summed into measurements of `intervalSeconds`. */
function intervals(perSecond: Extract<Measurement, { kind: 'counts' }>[], intervalSeconds: number): Measurement[] {
  const out: Measurement[] = [];
  for (let i = 0; i + intervalSeconds <= perSecond.length; i += intervalSeconds) {
    const part = perSecond.slice(i, i + intervalSeconds);
    const sum = (role: 'canary' | 'stable', key: 'requests' | 'errors') => part.reduce((n, m) => n + m[role][key], 0);
    out.push({
      kind: 'counts',
      at: part[part.length - 1].at,
      canary: { requests: sum('canary', 'requests'), errors: sum('canary', 'errors') },
      stable: { requests: sum('stable', 'requests'), errors: sum('stable', 'errors') },
    });
  }
  return out;
}

/**
 * The share of runs each configuration rolls back. Both judges' fails are final and rest on counts that
 * only grow, so "failed at some look" is "fails on the whole history": one verdict per run suffices.
 */
export function falseRollbackRates(s: FalseRollbackSetting, configs: readonly JudgeAtInterval[]): number[] {
  const failed = configs.map(() => 0);
  for (let run = 0; run < s.runs; run++) {
    const perSecond = seconds(s, run);
    configs.forEach((c, k) => {
      const metric = metricSchema.parse({ name: 'errors', errorRate: { maxRatio: s.maxRatio, judge: c.judge } });
      const verdict = judgeFor(metric).judge(intervals(perSecond, c.intervalSeconds), {
        metric,
        alpha: s.alpha,
        analysisStartedAt: 0,
        now: s.analysisSeconds * 1000,
      });
      if (verdict.decision === 'fail') failed[k]++;
    });
  }
  return failed.map((n) => n / s.runs);
}
