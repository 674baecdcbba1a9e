/**
 * How much pods of one version differ, and how much worse a version's few pods can look than the version
 * by that alone. Pods differ (a node, a cache, a noisy neighbour): pod j's event rate is the version's
 * times a multiplier m_j with mean 1 and coefficient of variation τ. With one canary pod, the canary's
 * rate is the version's times one draw of m: identical versions then differ by m_canary / mean(m_stable),
 * and a test that knew the deployed pods' rates exactly would still roll back whenever the draw was bad.
 *
 * τ² is estimated from the pods' counts by the method of moments on Pearson's statistic (DerSimonian &
 * Laird), within each version given around its own mean — the judges give the stable's pods only (with
 * their recent past; see conditionalStream.ts for why not the canary's) — and counted only once Cochran's Q test says the pods differ beyond
 * sampling noise (at SPREAD_TEST_LEVEL, 1%): sampling noise alone must not read as spread (a spread
 * too small to show at that level is also too small to push a tolerated canary past the indifference
 * zone between maxRatio and detectRatio).
 *
 * The bound: with log-normal multipliers (σ² = ln(1 + τ²)), ln(m_canary) − mean ln(m_stable) over σ̂ is
 * Student-t with the estimate's degrees of freedom, the textbook prediction interval; so the deployed
 * ratio of mean multipliers exceeds exp(t_{1−p} · σ̂ · √(h_c + h_s)) with probability about p (the arithmetic
 * mean of the stable's multipliers is above their geometric mean, which only makes it safer). h is the
 * sum of squared traffic weights of a version's pods (1/J for J pods with equal traffic). Pure.
 */
import { chiSquareQuantile, tQuantile } from './distributions';

/**
 * The most the allowance for pods' luck may make of it. The bound above is honest for the data it has,
 * and with the few pods most apps run (4 stable pods, one of them failing now and then: 3 degrees of
 * freedom) it comes out in the thousands, which would excuse any regression: 30% errors against a
 * stable at 0.25% would never be rolled back. So the guarantee assumes, and says, that pods' luck never
 * makes a canary look more than this much worse than its version: a spread of CV 0.5 with one canary
 * pod beside 9 stable ones needs about 7.
 */
export const MAX_SPREAD_FACTOR = 10;

/** One pod's exposure and events (requests and errors, or requests and requests slower than a bound). */
export interface PodEvents {
  requests: number;
  events: number;
}

/** The level of Cochran's Q test below which pods are taken to be alike. */
export const SPREAD_TEST_LEVEL = 0.01;

export interface Spread {
  /** The estimated squared coefficient of variation of the pods' multipliers (0 when not significant). */
  tau2: number;
  /** Cochran's Q and its degrees of freedom (pods minus versions with pods). */
  q: number;
  df: number;
  significant: boolean;
}

/** Pearson's Q of one version's pods around their own rate, its df and the method-of-moments scale. */
function versionQ(pods: readonly PodEvents[]): { q: number; df: number; scale: number } {
  const used = pods.filter((p) => p.requests > 0);
  const n = used.reduce((a, p) => a + p.requests, 0);
  const k = used.reduce((a, p) => a + p.events, 0);
  if (used.length < 2 || k <= 0 || k >= n) return { q: 0, df: 0, scale: 0 };
  const rate = k / n;
  let q = 0;
  let sumE = 0;
  let sumE2 = 0;
  for (const p of used) {
    const e = p.requests * rate;
    q += (p.events - e) ** 2 / (e * (1 - rate));
    sumE += e;
    sumE2 += e * e;
  }
  return { q, df: used.length - 1, scale: sumE - sumE2 / sumE };
}

/** The spread of pods' rates, pooled over versions (each around its own mean). */
export function estimateSpread(versions: readonly (readonly PodEvents[])[]): Spread {
  let q = 0;
  let df = 0;
  let scale = 0;
  for (const pods of versions) {
    const v = versionQ(pods);
    q += v.q;
    df += v.df;
    scale += v.scale;
  }
  if (df === 0 || scale <= 0) return { tau2: 0, q, df, significant: false };
  const significant = q > chiSquareQuantile(1 - SPREAD_TEST_LEVEL, df);
  return { tau2: significant ? Math.max(0, (q - df) / scale) : 0, q, df, significant };
}

/** Σ w² of a version's traffic weights (1/J for J pods alike; 1 for one pod). */
export function concentration(requests: readonly number[]): number {
  const total = requests.reduce((a, x) => a + x, 0);
  if (total <= 0) return 1;
  return requests.reduce((a, x) => a + (x / total) ** 2, 0);
}

/**
 * How much worse (the factor) the canary's pods can look than its version by the luck of the draw, at
 * level p: 1 when the pods do not differ (or the spread cannot be estimated: one pod per version), at
 * most MAX_SPREAD_FACTOR.
 */
export function spreadFactor(spread: Spread, hCanary: number, hStable: number, p: number): number {
  if (spread.tau2 <= 0 || spread.df === 0) return 1;
  const sigma = Math.sqrt(Math.log1p(spread.tau2));
  return Math.min(MAX_SPREAD_FACTOR, Math.exp(tQuantile(1 - p, spread.df) * sigma * Math.sqrt(hCanary + hStable)));
}
