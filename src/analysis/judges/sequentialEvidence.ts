/**
 * What the sequential judge tells humans: which hypothesis a verdict rejects, in words; the counts; the
 * ratio's estimate with its anytime-valid bound (upper while deciding, lower on a fail); the evidences
 * against their boundaries; the spread between pods and the dispersion it allowed for; and, while
 * undecided, how long a decision will take at this traffic — as verdict evidence (numbers) and one
 * sentence. Pure.
 */
import { ratioEstimate, ratioLowerBound, ratioUpperBound } from '../stats/conditionalRatio';
import { num, pct } from './checks';
import type { ConditionalStream } from './conditionalStream';
import type { ErrorRateStream } from './sequentialErrors';
import type { LatencyStream } from './sequentialLatency';
import type { FailSide } from './sequentialTest';

export type Evidence = Record<string, number | string>;

function fmt(x: number): string {
  if (Number.isNaN(x)) return 'unknown';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

/** A duration in minutes, as people say it. */
export function humanMinutes(minutes: number): string {
  if (!Number.isFinite(minutes)) return 'forever';
  if (minutes < 1) return 'under a minute';
  if (minutes < 90) return `about ${Math.round(minutes)} min`;
  if (minutes < 48 * 60) return `about ${(minutes / 60).toPrecision(2)} h`;
  return `about ${Math.round(minutes / 1440)} days`;
}

/** The hypotheses of a metric, in words. */
export function hypotheses(s: ConditionalStream, what: string): { tolerance: string; detect: string } {
  const st = s.settings;
  const x = (r: number) => `${Number(r.toPrecision(3))}`;
  if (st.maxIncrease === undefined)
    return {
      tolerance: `the canary's ${what} is at most ${x(st.maxRatio)}× the stable's`,
      detect: `the canary's ${what} is at least ${x(st.detectRatio)}× the stable's`,
    };
  return {
    tolerance: `the canary's ${what} is at most ${x(st.maxRatio)}× the stable's or at most ${pct(st.maxIncrease)} above it`,
    detect: `the canary's ${what} is at least ${x(st.detectRatio)}× the stable's and at least ${pct(st.detectIncrease ?? 1)} above it`,
  };
}

function testEvidence(s: ConditionalStream): Evidence {
  const t = s.test;
  const f = s.factors;
  const e: Evidence = {
    failLlr: num(t.weakestFail.llr, 4),
    failBoundary: num(t.failBoundary, 4),
    epoch: t.epoch,
    passLlr: num(t.strongestPass.llr, 4),
    passBoundary: num(t.passBoundary, 4),
    exposure: t.exposure,
    minExposure: t.opts.minExposure,
    alpha: num(s.settings.alpha),
    beta: t.opts.beta,
    podSpreadCv: num(f.spreadCv),
    podSpreadDf: f.spreadDf,
    podSpreadBound: num(f.spreadFail, 4),
    dispersion: num(f.dispersion, 4),
    stableDispersion: num(f.stableDispersion, 4),
  };
  for (const side of Object.keys(t.failLlr)) e[`failLlr_${side}`] = num(t.failValue(side as FailSide), 4);
  for (const [side, llr] of Object.entries(t.passLlr)) e[`passLlr_${side}`] = num(llr, 4);
  return e;
}

/** How the robustness shows in a sentence (empty when it changed nothing). */
function robustness(s: ConditionalStream): string {
  const f = s.factors;
  const parts: string[] = [];
  if (f.spreadFail > 1)
    parts.push(`pods differ (CV ${fmt(f.spreadCv)}, so up to ${fmt(f.spreadFail)}× may be the pods' luck)`);
  if (f.dispersion > 1.05) parts.push(`rates move ${fmt(f.dispersion)}× more than sampling explains`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

/**
 * How many more canary requests a pass of identical versions needs at the rates seen (Wald's expected
 * sample size with the evidences' drift under "no regression"), and the drift per request; Infinity when
 * nothing would move them (no events and no absolute bound to show).
 */
export function passOutlook(s: ConditionalStream): { requestsLeft: number; perRequest: number } {
  const drift = s.identicalDrift();
  const t = s.test;
  const nats = Math.max(0, t.passBoundary - t.strongestPass.llr);
  const exposureLeft = Math.max(0, t.opts.minExposure - t.exposure);
  if (nats === 0) return { requestsLeft: exposureLeft, perRequest: drift };
  return { requestsLeft: drift > 0 ? Math.max(exposureLeft, nats / drift) : Infinity, perRequest: drift };
}

/** A share of a boundary reached, as a whole percent clipped to 0–100 (evidence can be negative). */
function share(llr: number, boundary: number): string {
  const x = boundary > 0 ? Math.min(1, Math.max(0, llr / boundary)) : 0;
  return `${Math.round(x * 100)}%`;
}

/**
 * Which hypothesis a decided test rejected, in words, and where an undecided one stands: how much of the
 * evidence each outcome needs is there (the raw log-likelihood ratios and boundaries are in the
 * verdict's evidence).
 */
function standing(s: ConditionalStream, decision: string): string {
  const t = s.test;
  const st = s.settings;
  const x = (r: number) => `${Number(r.toPrecision(3))}×`;
  if (decision === 'fail')
    return st.maxIncrease === undefined
      ? `above the ${x(st.maxRatio)} tolerance`
      : `above the tolerance of ${x(st.maxRatio)} or +${pct(st.maxIncrease)}`;
  if (decision === 'pass')
    return st.maxIncrease === undefined
      ? `not a ${x(st.detectRatio)} regression`
      : `not a regression of ${x(st.detectRatio)} and +${pct(st.detectIncrease ?? 1)}`;
  if (t.exposure < t.opts.minExposure)
    return `a pass needs ${t.opts.minExposure} canary requests, ${t.exposure} so far`;
  return `${share(t.strongestPass.llr, t.passBoundary)} of the evidence a pass needs, ${share(t.weakestFail.llr, t.failBoundary)} of what a rollback needs`;
}

/**
 * The ratio clause: on a fail, how much worse the canary is at least (the lower bound at the test's own
 * confidence); on a pass, how much worse it could be at most; nothing while undecided.
 */
function ratioClause(
  s: ConditionalStream,
  decision: string,
  of: string,
): { clause: string; lower?: number; upper: number; estimate: number } {
  const estimate = ratioEstimate(s.intervals);
  const upper = ratioUpperBound(s.intervals, s.settings.beta);
  if (decision === 'fail') {
    const lower = ratioLowerBound(s.intervals, s.settings.detectRatio / s.settings.maxRatio, s.settings.alpha);
    return {
      clause: `at least ${fmt(lower)}× ${of} (${pct(1 - s.settings.alpha)} confidence)`,
      lower,
      upper,
      estimate,
    };
  }
  if (decision === 'pass')
    return {
      clause: Number.isFinite(upper)
        ? `at most ${fmt(upper)}× ${of} (${pct(1 - s.settings.beta)} confidence)`
        : `no worse than the limit (${pct(1 - s.settings.beta)} confidence)`,
      upper,
      estimate,
    };
  return { clause: '', upper, estimate };
}

/**
 * The tail of a reason — ": rejected hypothesis: bound" when decided, "; progress" while not — and the
 * rejected hypothesis in full words for the evidence.
 */
function tail(
  s: ConditionalStream,
  decision: string,
  h: { tolerance: string; detect: string },
  clause: string,
): { text: string; rejected?: string } {
  const where = standing(s, decision);
  if (decision === 'fail') return { text: `: ${where}: ${clause}${robustness(s)}`, rejected: h.tolerance };
  if (decision === 'pass') return { text: `: ${where}: ${clause}${robustness(s)}`, rejected: h.detect };
  return { text: `; ${where}${robustness(s)}` };
}

/** The limit in a verdict's head: the ratio, and the absolute margin when there is one. */
function limit(maxRatio: number, maxIncrease: number | undefined): string {
  return maxIncrease === undefined ? `(limit ${maxRatio}×)` : `(limit ${maxRatio}× or +${pct(maxIncrease)})`;
}

/** Evidence and reason for the error-rate stream. */
export function errorEvidence(s: ErrorRateStream, decision: string): { evidence: Evidence; reason: string } {
  const t = s.all;
  const canaryRate = t.canaryRequests ? t.canaryEvents / t.canaryRequests : NaN;
  const stableRate = t.stableRequests ? t.stableEvents / t.stableRequests : NaN;
  const ratio = ratioClause(s, decision, "stable's rate");
  const evidence: Evidence = {
    canaryRequests: t.canaryRequests,
    canaryErrors: t.canaryEvents,
    stableRequests: t.stableRequests,
    stableErrors: t.stableEvents,
    canaryRate: num(canaryRate),
    stableRate: num(stableRate),
    ratio: num(ratio.estimate),
    ratioUpperBound: num(ratio.upper),
    maxRatio: s.settings.maxRatio,
    detectRatio: num(s.settings.detectRatio),
    maxIncrease: s.maxIncrease,
    detectIncrease: s.detectIncrease,
    toleratedRate: num(s.toleratedRate),
    stableHistoryRequests: num(s.history.requests),
    ...testEvidence(s),
  };
  if (ratio.lower !== undefined) evidence.ratioLowerBound = num(ratio.lower);
  const rates = `canary ${pct(canaryRate)} errors (${t.canaryEvents}/${t.canaryRequests}) vs stable ${pct(stableRate)} (${t.stableEvents}/${t.stableRequests}) ${limit(s.settings.maxRatio, s.maxIncrease)}`;
  const end = tail(s, decision, hypotheses(s, 'error rate'), ratio.clause);
  if (end.rejected !== undefined) evidence.rejected = end.rejected;
  return { evidence, reason: `${rates}${end.text}` };
}

/** Evidence and reason for the latency stream. */
export function latencyEvidence(s: LatencyStream, decision: string): { evidence: Evidence; reason: string } {
  const q = s.quantiles();
  const p = `p${num(s.quantile * 100, 4)}`;
  const ms = (x: number) => num(x * 1000, 4);
  const r = s.currentRatios;
  const ratio = ratioClause(s, decision, "stable's share of slow requests");
  const evidence: Evidence = {
    quantile: s.quantile,
    canaryMs: ms(q.canary),
    stableMs: ms(q.stable),
    quantileRatio: num(q.canary / q.stable),
    maxRatio: s.settings.maxRatio,
    detectRatio: num(s.settings.detectRatio),
    boundaryMs: s.boundary === undefined ? 'none yet' : ms(s.boundary),
    canarySlow: s.all.canaryEvents,
    stableSlow: s.all.stableEvents,
    canaryRequests: s.all.canaryRequests,
    stableRequests: s.all.stableRequests,
    slowRatio: num(ratio.estimate),
    slowRatioUpperBound: num(ratio.upper),
    toleratedSlowRatio: r ? num(r.tolerance, 4) : 'none yet',
    detectSlowRatio: r ? num(r.detect, 4) : 'none yet',
    ...testEvidence(s),
  };
  if (ratio.lower !== undefined) evidence.slowRatioLowerBound = num(ratio.lower);
  const where =
    s.boundary === undefined
      ? 'no boundary yet (the stable needs more observations)'
      : `slow (above ${fmt(s.boundary * 1000)} ms): canary ${s.all.canaryEvents}/${s.all.canaryRequests} vs stable ${s.all.stableEvents}/${s.all.stableRequests}`;
  const head = `canary ${p} ${fmt(q.canary * 1000)} ms vs stable ${fmt(q.stable * 1000)} ms (limit ${s.settings.maxRatio}×)`;
  if (decision === 'pass' && !s.test.passLlr.ratio)
    return {
      evidence,
      reason: `${head}; the stable never went above the slow boundary and the canary's ${p} is at or below it (${pct(1 - s.settings.beta)} confidence)`,
    };
  const end = tail(s, decision, hypotheses(s, `${p} latency`), ratio.clause);
  if (end.rejected !== undefined) evidence.rejected = end.rejected;
  return { evidence, reason: `${head}; ${where}${end.text}` };
}
