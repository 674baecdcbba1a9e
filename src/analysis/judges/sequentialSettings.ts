/**
 * The sequential judge's settings for one metric: what the plan says, the defaults for what it does not,
 * and how the false-rollback budget is split. Pure.
 *
 * The hypotheses (README "Judging canaries"): the fail side rejects "the canary is within tolerance"
 * (ratio ≤ maxRatio, or, for errors, at most maxIncrease above the stable's rate); the pass side rejects
 * "the canary has the regression to detect" (ratio ≥ detectRatio and, for errors, at least
 * detectIncrease above). Between the two is the indifference zone, where either answer is acceptable.
 */
import { parseDuration } from '../../plan/duration';
import { rateValue, type MetricSpec } from '../../plan/schema';

/**
 * The chance of passing a canary that is exactly at the regression the test looks for (Wald's β). The
 * fail side keeps testing after a pass, so a missed regression can still be rolled back later.
 */
export const DEFAULT_BETA = 0.05;

/**
 * Canary requests before any pass. 500: at a 1% error rate that is five expected errors, below which
 * neither the test nor a human has anything to stand on; at 600 requests/min and a 10% share it is
 * 8.3 minutes, inside the 10 minutes a pass of identical versions should take. Plans set `minRequests`.
 */
export const DEFAULT_MIN_EXPOSURE = 500;

/** detectRatio when the plan gives none: maxRatio × 4/3 (2 for maxRatio 1.5). */
export const DEFAULT_DETECT_FACTOR = 4 / 3;

/** Tolerated absolute increase of the error rate (rare errors: 0.1% against 0% is no regression to act on). */
export const DEFAULT_MAX_INCREASE = 0.001;

/**
 * The absolute increase to catch fast. 1 point: with no errors on either side, a canary passes once its
 * own error rate is below 1% with confidence 1 − β (about 300 error-free requests), which keeps the pass
 * of identical versions at 600 requests/min within minutes.
 */
export const DEFAULT_DETECT_INCREASE = 0.01;

/** Undecided after this long, the verdict turns inconclusive (the rollout then follows onInconclusive). */
export const DEFAULT_DECIDE_WITHIN_MS = 3_600_000;

/**
 * The share of alpha the fail test spends on sampling noise; the rest covers the chance that the
 * canary's few pods are, by the luck of the draw, worse than the version (the pod-spread bound). Both
 * are spent only where they apply: with pods that do not differ, the bound is 1 and its share unused.
 */
export const TEST_ALPHA_SHARE = 0.8;

/** The smallest ratio the fail side looks for above the tolerance, whatever detectRatio says. */
export const MIN_SEPARATION = 1.1;

/** The largest ratio the alternatives follow the data to (a plug-in estimate is capped here). */
export const MAX_ALTERNATIVE = 50;

export interface SequentialSettings {
  alpha: number;
  beta: number;
  minExposure: number;
  maxRatio: number;
  detectRatio: number;
  /** Errors only: the absolute margin and the absolute increase to detect (fractions). */
  maxIncrease?: number;
  detectIncrease?: number;
  decideWithinMs: number;
  /**
   * false turns off the allowances for pods that differ and rates that move apart (the pod-spread bound
   * and the dispersion stay 1): not a plan setting, the benchmark's way to show what they cost.
   */
  robust?: boolean;
}

/** Settings from the metric and its share of alpha. */
export function sequentialSettings(metric: MetricSpec, alpha: number): SequentialSettings {
  const spec = metric.errorRate ?? metric.latency;
  const maxRatio = spec?.maxRatio ?? 1;
  const detectRatio = Math.max(spec?.detectRatio ?? maxRatio * DEFAULT_DETECT_FACTOR, maxRatio * MIN_SEPARATION);
  const errors = metric.errorRate;
  const maxIncrease = errors ? rateValue(errors.maxIncrease ?? DEFAULT_MAX_INCREASE) : undefined;
  const detectIncrease = errors ? rateValue(errors.detectIncrease ?? DEFAULT_DETECT_INCREASE) : undefined;
  return {
    alpha,
    beta: DEFAULT_BETA,
    minExposure: spec?.minRequests ?? DEFAULT_MIN_EXPOSURE,
    maxRatio,
    detectRatio,
    ...(maxIncrease !== undefined ? { maxIncrease } : {}),
    ...(detectIncrease !== undefined ? { detectIncrease: Math.max(detectIncrease, (maxIncrease ?? 0) * 2) } : {}),
    decideWithinMs: (spec?.decideWithin ? parseDuration(spec.decideWithin) : undefined) ?? DEFAULT_DECIDE_WITHIN_MS,
  };
}
