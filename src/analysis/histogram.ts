/**
 * Histogram windows: adding them up and reading a quantile the way Prometheus' histogram_quantile
 * does (linear interpolation inside the bucket the rank falls in). Pure.
 */
import type { HistogramWindow } from './types';

/** The bucket-wise sum of windows (buckets matched by `le`; a bucket one window lacks counts 0 there). */
export function addHistograms(windows: readonly HistogramWindow[]): HistogramWindow {
  const byLe = new Map<number, number>();
  let count = 0;
  for (const w of windows) {
    for (const b of w.buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
    count += w.count;
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c }));
  return { buckets, count };
}

/**
 * The `q` quantile of a window, as histogram_quantile computes it: NaN with no observations or no
 * finite bucket; the highest finite bound when the rank lies in the +Inf bucket; the first bucket's
 * lower bound is 0 (or its bound, when that is ≤ 0). Counts are made monotonic first, as Prometheus does.
 */
export function histogramQuantile(q: number, w: HistogramWindow): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const bounds = [...w.buckets].sort((a, b) => a.le - b.le);
  // Buckets with a partial reset can dip; a cumulative count never does.
  let running = 0;
  const cum = bounds.map((b) => (running = Math.max(running, b.count)));
  const total = Math.max(w.count, running);
  if (bounds.length === 0 || total === 0) return NaN;
  let rank = q * total;
  const b = cum.findIndex((c) => c >= rank);
  if (b === -1) return bounds[bounds.length - 1].le;
  if (b === 0 && bounds[0].le <= 0) return bounds[0].le;
  let start = 0;
  let inBucket = cum[b];
  if (b > 0) {
    start = bounds[b - 1].le;
    inBucket -= cum[b - 1];
    rank -= cum[b - 1];
  }
  return start + (bounds[b].le - start) * (rank / inBucket);
}
