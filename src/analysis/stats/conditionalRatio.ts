/**
 * The likelihood of the rate ratio q between canary and stable, conditioned on the events (errors, or
 * requests slower than a boundary) of each interval. Under a ratio q an event of interval t is the
 * canary's with probability π_t(q) = s_t·q / (s_t·q + 1 − s_t), s_t the canary's share of the requests
 * in t; whatever both versions' common rate did in t (a spike, a quiet night) cancels out. Pure.
 */

import { lnGamma } from './distributions';

/** One interval's events, reduced to what the conditional likelihood needs. */
export interface EventCounts {
  /** The canary's share of requests in the interval, strictly between 0 and 1. */
  share: number;
  canaryEvents: number;
  stableEvents: number;
}

/**
 * Intervals with nearly the same share merged into one (shares equal to three significant digits; the
 * merged share is the event-weighted mean), so a long history keeps its likelihood in a few hundred
 * entries. The log-likelihood is linear in the events and smooth in the share, so the merge changes it
 * by second-order terms in the spread of shares inside a bin: far below what the estimate's digits show.
 */
export function compactIntervals(intervals: readonly EventCounts[]): EventCounts[] {
  const bins = new Map<number, { weighted: number; canaryEvents: number; stableEvents: number }>();
  for (const iv of intervals) {
    const key = Number(iv.share.toPrecision(3));
    const b = bins.get(key) ?? { weighted: 0, canaryEvents: 0, stableEvents: 0 };
    const n = iv.canaryEvents + iv.stableEvents;
    b.weighted += iv.share * n;
    b.canaryEvents += iv.canaryEvents;
    b.stableEvents += iv.stableEvents;
    bins.set(key, b);
  }
  return [...bins.entries()]
    .sort(([a], [b]) => a - b)
    .map(([key, b]) => {
      const n = b.canaryEvents + b.stableEvents;
      return { share: n > 0 ? b.weighted / n : key, canaryEvents: b.canaryEvents, stableEvents: b.stableEvents };
    });
}

/** The probability that one event of an interval with canary share `share` is the canary's, at ratio q. */
export function canaryShareOfEvents(share: number, q: number): number {
  return (share * q) / (share * q + 1 - share);
}

/**
 * ln L(q) − ln L(1) for one interval: kc·ln q − (kc + ks)·ln(1 + s·(q − 1)). Its exponential has
 * expectation 1 under q = 1 when the events are Poisson (the canary's count given the total is then
 * binomial), and at most 1 when they are Bernoulli over fixed request counts (the count is then
 * hypergeometric, which is below the binomial in the convex order — Hoeffding 1963, Thm 4); at most 1
 * under any q < 1 too, since the ratio increases with the canary's count. That is what makes the sum a
 * test martingale.
 */
export function intervalLogLikelihoodRatio(
  share: number,
  q: number,
  canaryEvents: number,
  stableEvents: number,
): number {
  return canaryEvents * Math.log(q) - (canaryEvents + stableEvents) * Math.log1p(share * (q - 1));
}

/** ln L(q) − ln L(1) over intervals. */
export function logLikelihoodRatio(intervals: readonly EventCounts[], q: number): number {
  let sum = 0;
  for (const iv of intervals) sum += intervalLogLikelihoodRatio(iv.share, q, iv.canaryEvents, iv.stableEvents);
  return sum;
}

/** d/dθ of ln L(e^θ): events the canary had minus those the ratio e^θ expects it to have. Decreasing in θ. */
function score(intervals: readonly EventCounts[], theta: number): number {
  const q = Math.exp(theta);
  let sum = 0;
  for (const iv of intervals)
    sum += iv.canaryEvents - (iv.canaryEvents + iv.stableEvents) * canaryShareOfEvents(iv.share, q);
  return sum;
}

const THETA_LIMIT = Math.log(1e6);
const BISECTIONS = 60;

/** Bisection for the θ in [lo, hi] where a decreasing f crosses 0. */
function crossing(f: (theta: number) => number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  for (let i = 0; i < BISECTIONS; i++) {
    const mid = (a + b) / 2;
    if (f(mid) > 0) a = mid;
    else b = mid;
  }
  return (a + b) / 2;
}

/**
 * The maximum-likelihood ratio: 0 when the canary had no events, Infinity when only the canary had
 * them, NaN when there were none. (With a constant share it is the plain ratio of the two event rates.)
 */
export function ratioEstimate(intervals: readonly EventCounts[]): number {
  let kc = 0;
  let ks = 0;
  for (const iv of intervals) {
    kc += iv.canaryEvents;
    ks += iv.stableEvents;
  }
  if (kc + ks === 0) return NaN;
  if (kc === 0) return 0;
  if (ks === 0) return Infinity;
  return Math.exp(crossing((t) => score(intervals, t), -THETA_LIMIT, THETA_LIMIT));
}

/**
 * An anytime-valid upper confidence bound on q at level 1 − `error`: the largest q ≥ 1 that the test of
 * "ratio q" against "ratio 1" has not rejected (ln L(1) − ln L(q) < ln(1/error)). For every true q ≥ 1
 * that test is a Ville test, so the bound is below the truth with probability at most `error`, however
 * often it is computed. Infinity when the data cannot exclude any ratio (no stable events).
 */
export function ratioUpperBound(intervals: readonly EventCounts[], error: number): number {
  const target = Math.log(1 / error);
  const excess = (theta: number) => target + logLikelihoodRatio(intervals, Math.exp(theta));
  // ln L is concave in θ = ln q and equal to ln L(1) at θ = 0, so beyond max(0, θ̂) the gap only grows.
  const estimate = ratioEstimate(intervals);
  const from = Number.isFinite(estimate) && estimate > 1 ? Math.log(estimate) : 0;
  if (!Number.isFinite(estimate) || excess(THETA_LIMIT) > 0) return Infinity;
  return Math.exp(crossing(excess, from, THETA_LIMIT));
}

/**
 * An anytime-valid lower confidence bound on q at level 1 − `error`, the mirror of the fail test: the
 * largest q ≥ 1 that the test of "ratio q" against "ratio alternative·q" rejects (ln L(alternative·q) −
 * ln L(q) ≥ ln(1/error)). For the true q that test is a Ville test, so the bound exceeds the truth with
 * probability at most `error`, however often it is computed. 1 when not even q = 1 is rejected; finite
 * even when the stable had no events (the evidence against ever larger q runs out).
 */
export function ratioLowerBound(intervals: readonly EventCounts[], alternative: number, error: number): number {
  const target = Math.log(1 / error);
  const c = Math.log(alternative);
  // Decreasing in θ: its derivative is score(θ + ln alternative) − score(θ) ≤ 0.
  const excess = (theta: number) =>
    logLikelihoodRatio(intervals, Math.exp(theta + c)) - logLikelihoodRatio(intervals, Math.exp(theta)) - target;
  if (excess(0) < 0) return 1;
  if (excess(THETA_LIMIT) >= 0) return Math.exp(THETA_LIMIT);
  return Math.exp(crossing(excess, 0, THETA_LIMIT));
}

/**
 * ln of the likelihood ratio of `good` against `bad` for a Bernoulli rate after `trials` with `events`:
 * a test martingale under any rate ≥ bad when good < bad (so Ville bounds the chance it ever reaches
 * ln(1/error) by error).
 */
export function bernoulliLogLikelihoodRatio(trials: number, events: number, good: number, bad: number): number {
  const misses = Math.max(0, trials - events);
  return events * Math.log(good / bad) + misses * Math.log((1 - good) / (1 - bad));
}

function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}

/**
 * An anytime-valid upper confidence bound at level 1 − `error` on a Bernoulli rate after `trials` with
 * `events`: the largest p the mixture martingale ∫ L(θ) dBeta(½, ½) / L(p) has not rejected (Robbins'
 * method of mixtures), so it is below the true rate with probability at most `error` however often it
 * is computed. 1 with no trials.
 */
export function rateUpperBound(trials: number, events: number, error: number): number {
  if (trials <= 0) return 1;
  const k = Math.min(Math.max(events, 0), trials);
  const mixture = lnBeta(0.5 + k, 0.5 + trials - k) - lnBeta(0.5, 0.5);
  const target = Math.log(1 / error);
  const excess = (p: number) => mixture - k * Math.log(p) - (trials - k) * Math.log1p(-p) - target;
  let lo = k / trials;
  let hi = 1 - 1e-12;
  if (excess(hi) < 0) return 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (excess(mid) < 0) lo = mid;
    else hi = mid;
  }
  return hi;
}
