/** Seeded randomness for the demo app, so a run with the same seed and requests repeats exactly. */

import { normal, type Rng } from '../util/random';

/**
 * A latency in ms around `meanMs`: lognormal with shape `jitter` (0 = always the mean), scaled so its
 * mean stays `meanMs` — a right tail like real services have.
 */
export function sampleLatency(meanMs: number, jitter: number, rng: Rng): number {
  if (meanMs <= 0) return 0;
  if (jitter <= 0) return meanMs;
  return meanMs * Math.exp(jitter * normal(rng) - (jitter * jitter) / 2);
}
