/**
 * What the sequential judge tells: all the numbers (counts, the ratio's estimate and anytime-valid
 * bounds, the log-likelihood ratios against their boundaries, the exposure) as verdict evidence, and
 * one sentence for a human — the rates, then how much worse the canary is at least (fail), at most
 * (pass), or how far the test is from either (undecided). Pure.
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

/** A share of a boundary reached, as a whole percent clipped to 0–100 (evidence can be negative). */
function share(llr: number, boundary: number): string {
  const x = boundary > 0 ? Math.min(1, Math.max(0, llr / boundary)) : 0;
  return `${Math.round(x * 100)}%`;
}

/**
 * Where an undecided test stands, for a human: how much of the evidence each outcome needs is there
 * (the raw log-likelihood ratios and boundaries are in the verdict's evidence).
 */
function progress(t: SequentialTest): string {
  if (t.exposure < t.opts.minExposure)
    return `a pass needs ${t.opts.minExposure} canary requests, ${t.exposure} so far`;
  return `${share(t.passLlr, t.passBoundary)} of the evidence a pass needs, ${share(t.epochLlr, t.failBoundary)} of what a rollback needs`;
}

/**
 * The ratio clause: on a fail, how much worse the canary is at least (the lower bound at the test's
 * own confidence); on a pass, how much worse it could be at most.
 */
function ratioClause(
  r: { intervals: readonly EventCounts[]; upper: number; alternative: number },
  t: SequentialTest,
  decision: string,
  of: string,
): { clause: string; lower?: number } {
  if (decision === 'fail') {
    const lower = ratioLowerBound(r.intervals, r.alternative, t.opts.alpha);
    return { clause: `at least ${fmt(lower)}× ${of} (${pct(1 - t.opts.alpha)} confidence)`, lower };
  }
  if (decision === 'pass')
    return {
      clause: Number.isFinite(r.upper)
        ? `at most ${fmt(r.upper)}× ${of} (${pct(1 - t.opts.beta)} confidence)`
        : `no worse than the limit (${pct(1 - t.opts.beta)} confidence)`,
    };
  return { clause: progress(t) };
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
    { intervals: s.intervals, upper: bound, alternative: s.alternative },
    s.test,
    decision,
    "stable's rate",
  );
  if (ratio.lower !== undefined) evidence.ratioLowerBound = num(ratio.lower);
  const limit = s.settings.maxRatio === undefined ? '' : ` (limit ${s.settings.maxRatio}×)`;
  const rates = `canary ${pct(canaryRate)} errors (${t.canaryErrors}/${t.canaryRequests}) vs stable ${pct(stableRate)} (${t.stableErrors}/${t.stableRequests})${limit}`;
  if (decision === 'pass' && !s.test.passing)
    return {
      evidence,
      reason: `${rates}: below the negligible ${pct(NEGLIGIBLE_ERROR_RATE)} (${pct(1 - s.settings.beta)} confidence)`,
    };
  return { evidence, reason: `${rates}${decision === 'fail' || decision === 'pass' ? ':' : ';'} ${ratio.clause}` };
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
      ? { clause: progress(s.test), lower: undefined }
      : ratioClause(
          { intervals: s.intervals, upper: bound, alternative: s.alternative },
          s.test,
          decision,
          "stable's share of slow requests",
        );
  if (ratio.lower !== undefined) evidence.slowRatioLowerBound = num(ratio.lower);
  const slow =
    s.boundary === undefined
      ? 'no slow-request boundary yet (the stable needs more observations)'
      : `slow (above ${fmt(s.boundary * 1000)} ms): canary ${s.slow.canary}/${s.slow.canaryRequests} vs stable ${s.slow.stable}/${s.slow.stableRequests}`;
  const head = `canary ${p} ${fmt(q.canary * 1000)} ms vs stable ${fmt(q.stable * 1000)} ms (limit ${s.settings.maxRatio}×)`;
  if (decision === 'pass' && !s.test.passing)
    return {
      evidence,
      reason: `${head}; the stable never went above the slow boundary and the canary's ${p} is at or below it (${pct(1 - s.settings.beta)} confidence)`,
    };
  return {
    evidence,
    reason: `${head}; ${slow}${decision === 'fail' || decision === 'pass' ? ':' : ';'} ${ratio.clause}`,
  };
}
