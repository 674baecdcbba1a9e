/**
 * The latency stream of the sequential judge. A histogram only says how many requests were slower than
 * each bucket boundary, so the test is on those counts: at the boundary x where the stable's chosen
 * quantile falls (the upper bound of its bucket), a request slower than x is an "event", and the same
 * conditional test as for errors asks whether the canary has more of them than its share of requests.
 * Identical versions have the same fraction above any x, so the false-rollback guarantee holds as for
 * errors. x and the alternative come from the stable's earlier intervals only (chosen before the
 * interval is seen, which keeps the test a martingale).
 *
 * The alternative is the regression the plan names — "the canary's latency is maxRatio × the stable's"
 * — turned into a ratio of fractions above x: S_stable(x / maxRatio) / S_stable(x), with the stable's
 * survival function S read off its histogram, log-linear inside a bucket (tails fall off
 * exponentially; linear interpolation would overstate the ratio several times in a wide tail bucket).
 * Tail-only and spread-only regressions raise the canary's fraction above x as well and are caught the
 * same way. Pure.
 */
import { z } from 'zod';
import { addHistograms, histogramQuantile } from '../histogram';
import { histogramWindowSchema, type HistogramWindow } from '../types';
import { bernoulliLogLikelihoodRatio, compactIntervals, type EventCounts } from '../stats/conditionalRatio';
import { SequentialTest, informative, shareOf, testStateSchema } from './sequentialTest';
import { eventCountsSchema } from './sequentialErrors';
import { MAX_ALTERNATIVE, clampAlternative, type SequentialSettings } from './sequentialSettings';

/** Bucket upper bounds with cumulative counts, ascending, made monotonic (partial resets can dip). */
type Cumulative = { le: number; count: number }[];

function cumulative(w: HistogramWindow): Cumulative {
  let running = 0;
  return [...w.buckets]
    .sort((a, b) => a.le - b.le)
    .map((b) => ({ le: b.le, count: (running = Math.max(running, b.count)) }));
}

/** Stable observations needed before its quantile's bucket is trusted: five expected beyond the quantile. */
export function minStableObservations(quantile: number): number {
  return Math.ceil(5 / (1 - quantile));
}

/** The smallest finite boundary with at least `quantile` of the observations at or below it. */
export function quantileBoundary(cum: Cumulative, total: number, quantile: number): number | undefined {
  return cum.find((b) => Number.isFinite(b.le) && b.count >= quantile * total)?.le;
}

/** The fraction of observations above `y`, log-linear in each bucket (the first bucket starts at 0 with S = 1). */
export function survivalAt(cum: Cumulative, total: number, y: number): number {
  let lowLe = 0;
  let lowS = 1;
  for (const b of cum) {
    const s = 1 - b.count / total;
    if (y <= b.le) {
      const f = b.le > lowLe ? (y - lowLe) / (b.le - lowLe) : 1;
      if (s <= 0 || lowS <= 0) return lowS + (s - lowS) * f;
      return Math.exp(Math.log(lowS) + (Math.log(s) - Math.log(lowS)) * f);
    }
    lowLe = b.le;
    lowS = s;
  }
  return lowS;
}

/** Observations above `le` in a window (undefined when the window has no such bucket). */
function above(w: HistogramWindow, le: number): number | undefined {
  const b = w.buckets.find((x) => x.le === le);
  return b === undefined ? undefined : Math.max(0, w.count - b.count);
}

/** What a latency stream has learnt, to resume from (a judge's carry). */
export const latencyStreamStateSchema = z.object({
  test: testStateSchema,
  intervals: z.array(eventCountsSchema),
  stablePast: histogramWindowSchema,
  canaryAll: histogramWindowSchema,
  boundary: z.number().optional(),
  alternative: z.number().optional(),
  slow: z.object({ canary: z.number(), stable: z.number(), canaryRequests: z.number(), stableRequests: z.number() }),
  absoluteLlr: z.number(),
});
export type LatencyStreamState = z.infer<typeof latencyStreamStateSchema>;

/** The latency judge's state after some intervals. */
export class LatencyStream {
  readonly test: SequentialTest;
  readonly intervals: EventCounts[] = [];
  /** The stable's histogram so far: where x and the alternative come from. */
  private stablePast: HistogramWindow = { buckets: [], count: 0 };
  private canaryAll: HistogramWindow = { buckets: [], count: 0 };
  boundary?: number;
  alternative?: number;
  readonly slow = { canary: 0, stable: 0, canaryRequests: 0, stableRequests: 0 };
  /** ln LR of "canary fraction above x = (1 − q)/10" against "= 1 − q": the pass when the stable never exceeds x. */
  absoluteLlr = 0;

  constructor(
    readonly settings: SequentialSettings & { quantile: number },
    private readonly keepIntervals = true,
    from?: LatencyStreamState,
  ) {
    this.test = new SequentialTest(settings, from?.test);
    if (from) {
      this.intervals.push(...from.intervals);
      this.stablePast = from.stablePast;
      this.canaryAll = from.canaryAll;
      this.boundary = from.boundary;
      this.alternative = from.alternative;
      Object.assign(this.slow, from.slow);
      this.absoluteLlr = from.absoluteLlr;
    }
  }

  /** The state to resume from; its intervals are compacted (they only feed the estimate and the bound shown). */
  state(): LatencyStreamState {
    return {
      test: this.test.state(),
      intervals: compactIntervals(this.intervals),
      stablePast: this.stablePast,
      canaryAll: this.canaryAll,
      ...(this.boundary !== undefined ? { boundary: this.boundary } : {}),
      ...(this.alternative !== undefined ? { alternative: this.alternative } : {}),
      slow: { ...this.slow },
      absoluteLlr: this.absoluteLlr,
    };
  }

  /** `shifted`: the share moved inside the interval (Measurement.shifted), so its slow requests are exposure only. */
  add(canary: HistogramWindow, stable: HistogramWindow, shifted = false): void {
    this.chooseBoundary();
    const x = this.boundary;
    const canarySlow = x === undefined ? undefined : above(canary, x);
    const stableSlow = x === undefined ? undefined : above(stable, x);
    if (shifted || canarySlow === undefined || stableSlow === undefined || this.alternative === undefined) {
      this.test.add({
        canaryRequests: canary.count,
        stableRequests: stable.count,
        canaryEvents: 0,
        stableEvents: 0,
        alternative: MAX_ALTERNATIVE,
      });
    } else {
      this.observe(canary.count, stable.count, canarySlow, stableSlow, this.alternative);
    }
    this.stablePast = addHistograms([this.stablePast, stable]);
    if (this.keepIntervals) this.canaryAll = addHistograms([this.canaryAll, canary]);
  }

  private observe(
    canaryRequests: number,
    stableRequests: number,
    canaryEvents: number,
    stableEvents: number,
    alternative: number,
  ): void {
    const iv = { canaryRequests, stableRequests, canaryEvents, stableEvents, alternative };
    this.slow.canary += canaryEvents;
    this.slow.stable += stableEvents;
    this.slow.canaryRequests += canaryRequests;
    this.slow.stableRequests += stableRequests;
    const bad = 1 - this.settings.quantile;
    this.absoluteLlr += bernoulliLogLikelihoodRatio(canaryRequests, canaryEvents, bad / 10, bad);
    if (this.keepIntervals && informative(iv)) this.intervals.push({ share: shareOf(iv), canaryEvents, stableEvents });
    this.test.add(iv);
    if (!this.test.failed && this.absolutePassing) this.test.markPassed();
  }

  /** x and the alternative from the stable's earlier intervals. */
  private chooseBoundary(): void {
    const total = this.stablePast.count;
    if (total < minStableObservations(this.settings.quantile)) return;
    const cum = cumulative(this.stablePast);
    const x = quantileBoundary(cum, total, this.settings.quantile);
    this.boundary = x;
    if (x === undefined) return;
    const atX = survivalAt(cum, total, x);
    this.alternative =
      atX <= 0 ? MAX_ALTERNATIVE : clampAlternative(survivalAt(cum, total, x / this.settings.maxRatio) / atX);
  }

  /**
   * When the stable never had a request above x, no ratio can be measured (the histogram cannot resolve
   * the difference); then the canary passes once its own fraction above x is below 1 − q with confidence
   * 1 − β: its quantile lies at or below the stable's bucket.
   */
  get absolutePassing(): boolean {
    return (
      this.slow.stable === 0 &&
      this.slow.stableRequests > 0 &&
      this.test.exposure >= this.settings.minExposure &&
      this.absoluteLlr >= this.test.passBoundary
    );
  }

  get decision(): 'fail' | 'pass' | 'continue' {
    if (this.test.failed) return 'fail';
    return this.test.passing || this.absolutePassing ? 'pass' : 'continue';
  }

  /** The chosen quantile of each version over everything seen (NaN without observations). */
  quantiles(): { canary: number; stable: number } {
    return {
      canary: histogramQuantile(this.settings.quantile, this.canaryAll),
      stable: histogramQuantile(this.settings.quantile, this.stablePast),
    };
  }
}
