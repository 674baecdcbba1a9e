/**
 * A small fixed-bucket latency histogram: buckets 10% apart from 0.1 ms to 2 min, so memory is constant
 * however long a run lasts and a quantile is off by at most one bucket's width (interpolated inside it).
 */

const FIRST_BOUND_MS = 0.1;
const GROWTH = 1.1;
const LAST_BOUND_MS = 120_000;

/** Upper bounds of the buckets, shared by every histogram. */
const BOUNDS: readonly number[] = (() => {
  const out: number[] = [];
  for (let b = FIRST_BOUND_MS; b < LAST_BOUND_MS; b *= GROWTH) out.push(b);
  out.push(LAST_BOUND_MS);
  return out;
})();

function bucketOf(ms: number): number {
  let lo = 0;
  let hi = BOUNDS.length - 1;
  if (ms > BOUNDS[hi]) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (BOUNDS[mid] >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Counts latencies into fixed buckets and answers quantiles. */
export class LatencyHistogram {
  private readonly counts = new Array<number>(BOUNDS.length).fill(0);
  private n = 0;

  record(ms: number): void {
    this.counts[bucketOf(Math.max(0, ms))]++;
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  /** The q-quantile (0..1) in ms, interpolated linearly inside its bucket; 0 when empty. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.min(1, Math.max(0, q)) * this.n;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i];
      if (c > 0 && seen + c >= rank) {
        const lower = i === 0 ? 0 : BOUNDS[i - 1];
        return lower + (BOUNDS[i] - lower) * ((rank - seen) / c);
      }
      seen += c;
    }
    return BOUNDS[BOUNDS.length - 1];
  }
}
