/**
 * The sequential judge's settings for one metric: what the plan says, the defaults for what it does not,
 * and the alternative the fail side looks for. Pure.
 */
import type { MetricSpec } from '../../plan/schema';

/**
 * The chance of passing a canary that is exactly at the regression the test looks for (Wald's β). The
 * fail side keeps testing after a pass, so a missed regression can still be rolled back later.
 */
export const DEFAULT_BETA = 0.05;

/**
 * Canary requests before any pass. 500: at a 1% error rate that is five expected errors, below which
 * neither the test nor a human has anything to stand on; and it is under half of what the best possible
 * test (Wald's SPRT) needs to tell a 2× regression from none (about 1,070 canary requests), so it seldom
 * delays a pass the evidence would allow anyway. Plans set it with `minRequests`.
 */
export const DEFAULT_MIN_EXPOSURE = 500;

/**
 * An error rate too small to matter (0.1%, the threshold judge's slack). Ratios need errors to compare:
 * when neither version fails a request, no ratio can be bounded, so the error judge also passes a
 * canary whose own error rate is below this with confidence 1 − β (about 3,300 error-free requests).
 */
export const NEGLIGIBLE_ERROR_RATE = 0.001;

/**
 * The smallest ratio the fail side looks for: at maxRatio 1 ("no worse at all") the alternative and the
 * null would coincide and the test could never decide.
 */
export const MIN_ALTERNATIVE = 1.1;

/** The largest (a latency alternative estimated from a tail with almost no stable events is capped). */
export const MAX_ALTERNATIVE = 10;

export interface SequentialSettings {
  alpha: number;
  beta: number;
  minExposure: number;
  maxRatio: number;
}

/** Settings from the metric and its share of alpha. */
export function sequentialSettings(metric: MetricSpec, alpha: number): SequentialSettings {
  const spec = metric.errorRate ?? metric.latency;
  return {
    alpha,
    beta: DEFAULT_BETA,
    minExposure: spec?.minRequests ?? DEFAULT_MIN_EXPOSURE,
    maxRatio: spec?.maxRatio ?? 1,
  };
}

/** `x` clamped into the alternatives the fail side may use. */
export function clampAlternative(x: number): number {
  if (Number.isNaN(x)) return MIN_ALTERNATIVE;
  return Math.min(MAX_ALTERNATIVE, Math.max(MIN_ALTERNATIVE, x));
}
