/**
 * Checks of the built-in metrics over a sliding window: each measurement is judged on the sum of the
 * measurements of the last `windowMs` (so a check rests on a minute of traffic, not on five seconds).
 * Pure.
 */
import { addHistograms, histogramQuantile } from '../histogram';
import type { CountWindow, HistogramWindow, Measurement } from '../types';
import { num, pct, type Check } from './checks';

type Counts = Extract<Measurement, { kind: 'counts' }>;
type Histograms = Extract<Measurement, { kind: 'histogram' }>;

/**
 * Absolute slack on the error-rate bound: max(0.1 percentage point, one canary error). A difference
 * below 0.1 pp does not matter to users; and one error is no evidence of a ratio — with stable at 0
 * errors the bound would otherwise be 0 and the canary's first error a failure.
 */
export const ERROR_RATE_SLACK = 0.001;

/** Canary requests (or observations) a window needs before it is judged at all. */
export const DEFAULT_MIN_REQUESTS = 100;

/** The same-kind measurements in (at − windowMs, at], for each measurement (oldest first). */
function windows<M extends Measurement>(
  ms: readonly Measurement[],
  kind: M['kind'],
  windowMs: number,
): { latest: Measurement; inWindow: M[] }[] {
  return ms.map((m, i) => {
    const inWindow: M[] = [];
    // Measurements come oldest first: walk back only as far as the window reaches.
    for (let j = i; j >= 0 && ms[j].at > m.at - windowMs; j--) if (ms[j].kind === kind) inWindow.unshift(ms[j] as M);
    return { latest: m, inWindow };
  });
}

function missingCheck(m: Measurement, kind: string): Check {
  const reason = m.kind === 'missing' ? m.reason : `expected a ${kind} measurement, got ${m.kind}`;
  return { outcome: 'missing', reason, evidence: { missing: reason } };
}

function sumCounts(ms: readonly Counts[], role: 'canary' | 'stable'): CountWindow {
  return ms.reduce((s, m) => ({ requests: s.requests + m[role].requests, errors: s.errors + m[role].errors }), {
    requests: 0,
    errors: 0,
  });
}

/** One error-rate check: canary rate > maxRatio × stable rate + slack fails. */
export function errorRateCheck(
  inWindow: readonly Counts[],
  opts: { maxRatio: number; minRequests: number; windowMs: number },
): Check {
  const c = sumCounts(inWindow, 'canary');
  const s = sumCounts(inWindow, 'stable');
  const evidence: Record<string, number | string> = {
    windowSeconds: opts.windowMs / 1000,
    canaryRequests: c.requests,
    canaryErrors: c.errors,
    stableRequests: s.requests,
    stableErrors: s.errors,
    minRequests: opts.minRequests,
  };
  if (c.requests < opts.minRequests) {
    return {
      outcome: 'notEnoughData',
      reason: `${c.requests} canary requests in the last ${opts.windowMs / 1000} s; judging needs ${opts.minRequests}`,
      evidence,
    };
  }
  if (s.requests === 0)
    return {
      outcome: 'missing',
      reason: `stable served no requests in the last ${opts.windowMs / 1000} s: nothing to compare with`,
      evidence,
    };
  const canaryRate = c.errors / c.requests;
  const stableRate = s.errors / s.requests;
  const slack = Math.max(ERROR_RATE_SLACK, 1 / c.requests);
  const bound = opts.maxRatio * stableRate + slack;
  Object.assign(evidence, {
    canaryRate: num(canaryRate),
    stableRate: num(stableRate),
    ratio: num(canaryRate / stableRate),
    maxRatio: opts.maxRatio,
    slack: num(slack),
    bound: num(bound),
  });
  const failed = canaryRate > bound;
  const reason = `canary error rate ${pct(canaryRate)} (${c.errors}/${c.requests}) ${failed ? '>' : '≤'} bound ${pct(bound)} = ${opts.maxRatio} × stable ${pct(stableRate)} (${s.errors}/${s.requests}) + ${pct(slack)}`;
  return { outcome: failed ? 'fail' : 'pass', reason, evidence };
}

/** Error-rate checks, one per measurement. */
export function errorRateChecks(
  ms: readonly Measurement[],
  opts: { maxRatio: number; minRequests: number; windowMs: number },
): Check[] {
  return windows<Counts>(ms, 'counts', opts.windowMs).map(({ latest, inWindow }) =>
    latest.kind === 'counts' ? errorRateCheck(inWindow, opts) : missingCheck(latest, 'counts'),
  );
}

function seconds(x: number): number | string {
  return num(x * 1000, 4);
}

/** One latency check: canary's quantile > maxRatio × stable's fails. */
export function latencyCheck(
  inWindow: readonly Histograms[],
  opts: { quantile: number; maxRatio: number; minRequests: number; windowMs: number },
): Check {
  const c: HistogramWindow = addHistograms(inWindow.map((m) => m.canary));
  const s: HistogramWindow = addHistograms(inWindow.map((m) => m.stable));
  const evidence: Record<string, number | string> = {
    windowSeconds: opts.windowMs / 1000,
    quantile: opts.quantile,
    canaryCount: c.count,
    stableCount: s.count,
    minRequests: opts.minRequests,
  };
  if (c.count < opts.minRequests) {
    return {
      outcome: 'notEnoughData',
      reason: `${c.count} canary requests in the last ${opts.windowMs / 1000} s; judging needs ${opts.minRequests}`,
      evidence,
    };
  }
  const qc = histogramQuantile(opts.quantile, c);
  const qs = histogramQuantile(opts.quantile, s);
  if (s.count === 0 || !Number.isFinite(qs) || !Number.isFinite(qc)) {
    return {
      outcome: 'missing',
      reason: `no usable stable latency in the last ${opts.windowMs / 1000} s (${s.count} requests): nothing to compare with`,
      evidence,
    };
  }
  const bound = opts.maxRatio * qs;
  Object.assign(evidence, {
    canaryMs: seconds(qc),
    stableMs: seconds(qs),
    ratio: qs > 0 ? num(qc / qs) : 'Infinity',
    maxRatio: opts.maxRatio,
    boundMs: seconds(bound),
  });
  const failed = qc > bound;
  const p = `p${num(opts.quantile * 100, 4)}`;
  const reason = `canary ${p} ${seconds(qc)} ms ${failed ? '>' : '≤'} bound ${seconds(bound)} ms = ${opts.maxRatio} × stable ${p} ${seconds(qs)} ms`;
  return { outcome: failed ? 'fail' : 'pass', reason, evidence };
}

/** Latency checks, one per measurement. */
export function latencyChecks(
  ms: readonly Measurement[],
  opts: { quantile: number; maxRatio: number; minRequests: number; windowMs: number },
): Check[] {
  return windows<Histograms>(ms, 'histogram', opts.windowMs).map(({ latest, inWindow }) =>
    latest.kind === 'histogram' ? latencyCheck(inWindow, opts) : missingCheck(latest, 'histogram'),
  );
}
