/**
 * How much more counts move over time than sampling alone would make them: bursts that hit one version
 * and not the other, or misaligned windows around a spike. The conditional test's likelihood ratio
 * assumes Poisson counts; with extra variance φ times the Poisson one, the ratio taken to the power 1/φ
 * has the quasi-likelihood's variance again (a tempered likelihood), which keeps it close to a
 * supermartingale. So the test divides each window's log-likelihood ratio by an estimate of φ made
 * before the window was seen (predictable). Pure.
 *
 * Two sources, the larger counting until the data say otherwise:
 * - the stable's own dispersion over time (Pearson's statistic of its counts per bin around its mean
 *   rate, over the baseline's bins and the analysis'): if the canary's rate moves as much but on its own,
 *   the conditional counts' variance is the `predicted` one below — the worst case, as bursts common to
 *   both versions cancel in the conditional test;
 * - the conditional test's own residuals per bin: what actually moved between the versions.
 * The estimate is their weighted mean, the prediction weighing PRIOR_BINS bins, at least 1.
 */
import { chiSquareQuantile } from './distributions';

/** Pearson sums of counts per bin around a common rate (sufficient statistics: Σk²/n, Σk, Σn, bins). */
export interface BinStats {
  sumK2OverN: number;
  sumK: number;
  sumN: number;
  bins: number;
}

export const EMPTY_BIN_STATS: BinStats = { sumK2OverN: 0, sumK: 0, sumN: 0, bins: 0 };

/** The bin stats with one more bin of `events` out of `requests`. */
export function addBin(s: BinStats, requests: number, events: number): BinStats {
  if (requests <= 0) return s;
  return {
    sumK2OverN: s.sumK2OverN + (events * events) / requests,
    sumK: s.sumK + events,
    sumN: s.sumN + requests,
    bins: s.bins + 1,
  };
}

/** The level at which the counts must be shown to move more than sampling before they count as moving. */
export const DISPERSION_TEST_LEVEL = 0.05;

/**
 * How much more than Poisson the counts per bin varied: X²/(bins − 1) once Pearson's X² is significant
 * at DISPERSION_TEST_LEVEL, else 1 (sampling noise must not read as dispersion); 1 until 3 bins.
 */
export function binDispersion(s: BinStats): number {
  if (s.bins < 3 || s.sumK <= 0 || s.sumK >= s.sumN) return 1;
  const rate = s.sumK / s.sumN;
  // Σ (k − n r)² / (n r) = Σ k²/n / r − Σ k, with r the pooled rate; binomial variance n r (1 − r).
  const x2 = (s.sumK2OverN / rate - s.sumK) / (1 - rate);
  if (x2 <= chiSquareQuantile(1 - DISPERSION_TEST_LEVEL, s.bins - 1)) return 1;
  return Math.max(1, x2 / (s.bins - 1));
}

/**
 * The dispersion the conditional test would see if each version's rate moved as the stable's did, on its
 * own. φ_s is the stable's (at its events per bin e_s); the canary's is 1 + (φ_s − 1)·e_c/e_s (gamma
 * mixing: the extra variance grows with the square of the mean); π is the canary's share of the events.
 */
export function predictedDispersion(stableDispersion: number, canaryEvents: number, stableEvents: number): number {
  if (stableDispersion <= 1 || canaryEvents <= 0 || stableEvents <= 0) return 1;
  const pi = canaryEvents / (canaryEvents + stableEvents);
  const canaryDispersion = 1 + (stableDispersion - 1) * (canaryEvents / stableEvents);
  const poisson = (1 - pi) ** 2 * canaryEvents + pi ** 2 * stableEvents;
  const inflated = (1 - pi) ** 2 * canaryEvents * canaryDispersion + pi ** 2 * stableEvents * stableDispersion;
  return inflated / poisson;
}

/** The canary's own dispersion (its count against a fixed rate) if it moved as the stable did. */
export function canaryOwnDispersion(stableDispersion: number, canaryEvents: number, stableEvents: number): number {
  if (stableDispersion <= 1 || stableEvents <= 0) return 1;
  return 1 + (stableDispersion - 1) * (Math.max(canaryEvents, 0) / stableEvents);
}

/** Bins the prediction is worth in the estimate. */
export const PRIOR_BINS = 5;

/**
 * The conditional counts per bin, grouped by the bin's canary share (three significant digits), so
 * Pearson's statistic Σ (k_c − K π)² / (K π (1 − π)) can be recomputed at any ratio: per group,
 * Σ k_c²/K, Σ k_c and Σ K. Bounded however long the analysis runs.
 */
export interface ResidualGroup {
  share: number;
  sumKc2OverK: number;
  sumKc: number;
  sumK: number;
  bins: number;
}

/** The groups with one more bin (K events, k_c of them the canary's, at canary share `share`). */
export function addResidual(
  groups: readonly ResidualGroup[],
  share: number,
  canaryEvents: number,
  events: number,
): ResidualGroup[] {
  if (events <= 0 || share <= 0 || share >= 1) return [...groups];
  const key = Number(share.toPrecision(3));
  const out = groups.map((g) => ({ ...g }));
  const g = out.find((x) => x.share === key);
  const add = { sumKc2OverK: (canaryEvents * canaryEvents) / events, sumKc: canaryEvents, sumK: events };
  if (g) {
    g.sumKc2OverK += add.sumKc2OverK;
    g.sumKc += add.sumKc;
    g.sumK += add.sumK;
    g.bins += 1;
  } else out.push({ share: key, ...add, bins: 1 });
  return out;
}

/** Pearson's statistic of the groups at ratio q, and its degrees of freedom (bins − 1: q is estimated). */
export function residualStatistic(groups: readonly ResidualGroup[], q: number): { sum: number; df: number } {
  let sum = 0;
  let bins = 0;
  for (const g of groups) {
    const pi = (g.share * q) / (g.share * q + 1 - g.share);
    sum += (g.sumKc2OverK - 2 * pi * g.sumKc + pi * pi * g.sumK) / (pi * (1 - pi));
    bins += g.bins;
  }
  return { sum, df: Math.max(0, bins - 1) };
}

/** Pearson residuals summarized: their sum and degrees of freedom. */
export interface ResidualStats {
  sum: number;
  df: number;
}

/**
 * The dispersion estimate: the prediction weighing PRIOR_BINS bins against the residuals, at least 1.
 * Residuals that are not significantly above sampling noise (at DISPERSION_TEST_LEVEL) may pull the
 * prediction down (bursts common to both versions cancel) but not up.
 */
export function dispersionEstimate(predicted: number, residuals: ResidualStats): number {
  const weighted = (PRIOR_BINS * predicted + residuals.sum) / (PRIOR_BINS + residuals.df);
  const significant = residuals.df > 0 && residuals.sum > chiSquareQuantile(1 - DISPERSION_TEST_LEVEL, residuals.df);
  return Math.max(1, significant ? weighted : Math.min(weighted, predicted));
}
