/**
 * Seeded synthetic traffic as Prometheus would see it: Poisson arrivals per revision in each scrape
 * interval, Bernoulli errors, lognormal latencies counted into histogram buckets. By Poisson thinning,
 * the errors and the successes (and each bucket's requests) of an interval are independent Poisson
 * counts, which is how they are drawn: exact, and far cheaper than one draw per request. What a judge
 * receives are the increments of the cumulative counters between two scrapes — these counts.
 */
import poisson from '@stdlib/random-base-poisson';
import lognormalCdf from '@stdlib/stats-base-dists-lognormal-cdf';
import type { CountWindow, HistogramWindow } from '../../src/analysis/types';
import type { Rng } from '@ramp/sandbox/util/random';

/** A latency distribution: a mixture of lognormals (weights sum to 1), medians in seconds. */
export type LatencyModel = { weight: number; median: number; sigma: number }[];

/** P(latency ≤ x) under a model. */
export function latencyCdf(model: LatencyModel, x: number): number {
  return model.reduce((p, c) => p + c.weight * lognormalCdf(x, Math.log(c.median), c.sigma), 0);
}

/** The probability of each bucket (le ascending) and of the +Inf bucket (last entry). */
export function bucketProbabilities(model: LatencyModel, les: readonly number[]): number[] {
  let prev = 0;
  const ps = les.map((le) => {
    const c = latencyCdf(model, le);
    const p = c - prev;
    prev = c;
    return p;
  });
  ps.push(1 - prev);
  return ps;
}

/** Poisson draws from a seeded uniform source (stdlib's sampler with our PRNG). */
export type PoissonDraw = (mean: number) => number;

export function poissonFrom(rng: Rng): PoissonDraw {
  const draw = poisson.factory({ prng: rng });
  return (mean) => (mean > 0 ? draw(mean) : 0);
}

/** Request and error counts of one revision for one interval. */
export function drawCounts(draw: PoissonDraw, meanRequests: number, errorRate: number): CountWindow {
  const errors = draw(meanRequests * errorRate);
  return { requests: errors + draw(meanRequests * (1 - errorRate)), errors };
}

/** A histogram increment for one interval: bucket counts cumulative per `le`, as Prometheus exposes them. */
export function drawHistogram(
  draw: PoissonDraw,
  meanRequests: number,
  les: readonly number[],
  probabilities: readonly number[],
): HistogramWindow {
  let running = 0;
  const buckets = les.map((le, i) => ({ le, count: (running += draw(meanRequests * probabilities[i])) }));
  return { buckets, count: running + draw(meanRequests * probabilities[les.length]) };
}
