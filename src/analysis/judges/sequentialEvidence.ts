/**
 * What the sequential judge tells humans: the counts, the ratio's estimate and its anytime-valid bound
 * (upper while deciding, lower on a fail), the log-likelihood ratios against their boundaries, and the
 * exposure — as verdict evidence (numbers) and one sentence. Pure.
 */
import { ratioEstimate, ratioLowerBound, ratioUpperBound, type EventCounts } from '../stats/conditionalRatio';
import { num, pct } from './checks';
import type { ErrorRateStream } from './sequentialErrors';
import type { LatencyStream } from './sequentialLatency';
import type { SequentialTest } from './sequentialTest';
import { NEGLIGIBLE_ERROR_RATE } from './sequentialSettings';

export type Evidence = Record<string, number | string>;

function fmt(x: number): string {
  if (Number.isNaN(x)) return 'unknown';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

function testEvidence(t: SequentialTest): Evidence {
  return {
    llr: num(t.epochLlr, 4),
    failBoundary: num(t.failBoundary, 4),
    epoch: t.epoch,
    passLlr: num(t.passLlr, 4),
    passBoundary: num(t.passBoundary, 4),
    exposure: t.exposure,
    minExposure: t.opts.minExposure,
    alpha: num(t.opts.alpha),
    beta: t.opts.beta,
  };
}

/**
 * The ratio as a human should read it: on a fail, how much worse the canary is at least (the lower
 * bound at the test's own confidence); otherwise how much worse it could still be (the upper bound a
 * pass needs below maxRatio).
 */
function ratioClause(
  r: { intervals: readonly EventCounts[]; estimate: number; upper: number; alternative: number },
  t: SequentialTest,
  maxRatio: number | undefined,
  decision: string,
  name: string,
): { clause: string; lower?: number } {
  const max = maxRatio === undefined ? '' : ` (max ${maxRatio})`;
  if (decision === 'fail') {
    const lower = ratioLowerBound(r.intervals, r.alternative, t.opts.alpha);
    return {
      clause: `${name} ${fmt(r.estimate)}, at least ${fmt(lower)} with ${pct(1 - t.opts.alpha)} confidence${max}`,
      lower,
    };
  }
  return { clause: `${name} ${fmt(r.estimate)}, ${pct(1 - t.opts.beta)} bound ${fmt(r.upper)}${max}` };
}

/** Why the test stands where it does, in one clause. */
function standing(t: SequentialTest, decision: string, what: string): string {
  const fail = `evidence of a regression ${fmt(t.epochLlr)} of ${fmt(t.failBoundary)} needed to roll back`;
  if (decision === 'fail')
    return `the ${what} ratio is above 1 beyond doubt: evidence ${fmt(t.epochLlr)} ≥ ${fmt(t.failBoundary)} (false-rollback risk ≤ ${pct(t.opts.alpha)})`;
  if (t.exposure < t.opts.minExposure)
    return `${fail}; a pass needs ${t.opts.minExposure} canary requests, ${t.exposure} so far`;
  return `${fail}; evidence of no regression ${fmt(t.passLlr)} of ${fmt(t.passBoundary)} needed to pass`;
}

/** Evidence and reason for the error-rate stream. */
export function errorEvidence(s: ErrorRateStream, decision: string): { evidence: Evidence; reason: string } {
  const t = s.totals;
  const estimate = ratioEstimate(s.intervals);
  const bound = ratioUpperBound(s.intervals, s.settings.beta);
  const canaryRate = t.canaryRequests ? t.canaryErrors / t.canaryRequests : NaN;
  const stableRate = t.stableRequests ? t.stableErrors / t.stableRequests : NaN;
  const evidence: Evidence = {
    canaryRequests: t.canaryRequests,
    canaryErrors: t.canaryErrors,
    stableRequests: t.stableRequests,
    stableErrors: t.stableErrors,
    canaryRate: num(canaryRate),
    stableRate: num(stableRate),
    ratio: num(estimate),
    ratioUpperBound: num(bound),
    maxRatio: s.settings.maxRatio,
    alternative: s.alternative,
    negligibleLlr: num(s.negligibleLlr, 4),
    ...testEvidence(s.test),
  };
  const ratio = ratioClause(
    { intervals: s.intervals, estimate, upper: bound, alternative: s.alternative },
    s.test,
    s.settings.maxRatio,
    decision,
    'ratio',
  );
  if (ratio.lower !== undefined) evidence.ratioLowerBound = num(ratio.lower);
  const counts = `canary ${t.canaryErrors}/${t.canaryRequests} errors (${pct(canaryRate)}) vs stable ${t.stableErrors}/${t.stableRequests} (${pct(stableRate)}); ${ratio.clause}`;
  if (decision === 'pass' && !s.test.passing)
    return {
      evidence,
      reason: `${counts}; the canary's error rate is below the negligible ${pct(NEGLIGIBLE_ERROR_RATE)} with ${pct(1 - s.settings.beta)} confidence`,
    };
  return { evidence, reason: `${counts}; ${standing(s.test, decision, 'error')}` };
}

/** Evidence and reason for the latency stream. */
export function latencyEvidence(s: LatencyStream, decision: string): { evidence: Evidence; reason: string } {
  const q = s.quantiles();
  const estimate = ratioEstimate(s.intervals);
  const bound = ratioUpperBound(s.intervals, s.settings.beta);
  const p = `p${num(s.settings.quantile * 100, 4)}`;
  const ms = (x: number) => num(x * 1000, 4);
  const evidence: Evidence = {
    quantile: s.settings.quantile,
    canaryMs: ms(q.canary),
    stableMs: ms(q.stable),
    quantileRatio: num(q.canary / q.stable),
    maxRatio: s.settings.maxRatio,
    boundaryMs: s.boundary === undefined ? 'none yet' : ms(s.boundary),
    canarySlow: s.slow.canary,
    stableSlow: s.slow.stable,
    canaryRequests: s.slow.canaryRequests,
    stableRequests: s.slow.stableRequests,
    slowRatio: num(estimate),
    slowRatioUpperBound: num(bound),
    alternative: s.alternative === undefined ? 'none yet' : num(s.alternative, 4),
    absoluteLlr: num(s.absoluteLlr, 4),
    ...testEvidence(s.test),
  };
  // No alternative yet means nothing was tested, so there is no fail to bound from below.
  const ratio =
    s.alternative === undefined
      ? { clause: `slow ratio ${fmt(estimate)}, bound ${fmt(bound)}`, lower: undefined }
      : ratioClause(
          { intervals: s.intervals, estimate, upper: bound, alternative: s.alternative },
          s.test,
          undefined,
          decision,
          'slow ratio',
        );
  if (ratio.lower !== undefined) evidence.slowRatioLowerBound = num(ratio.lower);
  const where =
    s.boundary === undefined
      ? 'no boundary yet (the stable needs more observations)'
      : `above ${fmt(s.boundary * 1000)} ms: canary ${s.slow.canary}/${s.slow.canaryRequests}, stable ${s.slow.stable}/${s.slow.stableRequests}`;
  const head = `canary ${p} ${fmt(q.canary * 1000)} ms vs stable ${fmt(q.stable * 1000)} ms (max ${s.settings.maxRatio}×); slow requests ${where}; ${ratio.clause}`;
  if (decision === 'pass' && !s.test.passing)
    return {
      evidence,
      reason: `${head}; the stable never exceeded the boundary and the canary's ${p} is at or below it with ${pct(1 - s.settings.beta)} confidence`,
    };
  return { evidence, reason: `${head}; ${standing(s.test, decision, 'slow-request')}` };
}
