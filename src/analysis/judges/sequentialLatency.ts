/**
 * The latency stream of the sequential judge. A histogram only says how many requests were slower than
 * each bucket boundary, so the test is on those counts: at the boundary x where the stable's chosen
 * quantile falls (the upper bound of its bucket), a request slower than x is an "event", and the
 * conditional ratio test (conditionalStream.ts) compares the canary's share of them with its share of
 * requests. x comes from the stable's past only (its baseline and earlier windows), chosen before each
 * window is seen.
 *
 * The tolerance is "the canary's latency is at most maxRatio × the stable's", the regression to detect
 * "detectRatio ×". A histogram cannot say more than the fractions above its bounds, so both are read as
 * the stable's latency scaled: the fraction above x of a canary maxRatio × slower is S(x / maxRatio), S
 * the stable's survival function read off its histogram (log-linear inside a bucket: tails fall off
 * exponentially), and the ratios tested are S(x / maxRatio) / S(x) (tolerated) and S(x / detectRatio) /
 * S(x) (to detect). A canary slower by less than maxRatio across the board is within the tolerance;
 * tail-only and spread-only regressions raise the fraction above x as well and are caught the same way.
 *
 * When the stable never had a request above x, no ratio can be measured; then the canary passes once its
 * own fraction above x is below 1 − quantile with confidence 1 − β (its quantile is at or below x). Pure.
 */
import { z } from 'zod';
import { addHistograms, histogramQuantile } from '../histogram';
import { histogramWindowSchema, type Baseline, type HistogramWindow, type PodHistogram } from '../types';
import { addBin } from '../stats/dispersion';
import type { PodEvents } from '../stats/podSpread';
import { ConditionalStream, streamStateSchema, type EventWindow } from './conditionalStream';
import type { TestInterval } from './sequentialTest';
import { MIN_SEPARATION, type SequentialSettings } from './sequentialSettings';

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

/** A pod's compact histogram as a window. */
function podWindow(les: readonly number[], p: PodHistogram): HistogramWindow {
  return { buckets: les.map((le, i) => ({ le, count: p.counts[i] ?? 0 })), count: p.count };
}

/** What a latency stream has learnt, to resume from (a judge's carry). */
export const latencyStreamStateSchema = streamStateSchema.extend({
  stablePast: histogramWindowSchema,
  canaryAll: histogramWindowSchema,
  podHistograms: z.object({
    canary: z.record(z.string(), histogramWindowSchema),
    stable: z.record(z.string(), histogramWindowSchema),
  }),
  boundary: z.number().optional(),
});
export type LatencyStreamState = z.infer<typeof latencyStreamStateSchema>;

export interface HistogramExtras {
  les?: readonly number[];
  pods?: readonly PodHistogram[];
  shifted?: boolean;
  from?: number;
  to?: number;
}

/** The latency judge's state after some windows. */
export class LatencyStream extends ConditionalStream {
  /** The stable's histogram so far (baseline and windows): where x and the ratios come from. */
  private stablePast: HistogramWindow = { buckets: [], count: 0 };
  private canaryAll: HistogramWindow = { buckets: [], count: 0 };
  /** Each pod's histogram so far (the stable's with its baseline), for the spread at x. */
  private podHistograms: { canary: Record<string, HistogramWindow>; stable: Record<string, HistogramWindow> } = {
    canary: {},
    stable: {},
  };
  boundary?: number;

  constructor(
    readonly latencySettings: SequentialSettings & { quantile: number },
    keepIntervals = true,
    from?: LatencyStreamState,
  ) {
    super(latencySettings, ['ratio'], keepIntervals, from);
    if (from) {
      this.stablePast = from.stablePast;
      this.canaryAll = from.canaryAll;
      this.podHistograms = { canary: { ...from.podHistograms.canary }, stable: { ...from.podHistograms.stable } };
      this.boundary = from.boundary;
    }
  }

  /** The state to resume from; its intervals are compacted (they only feed the estimate and the bound shown). */
  state(): LatencyStreamState {
    return {
      ...this.streamState(),
      stablePast: this.stablePast,
      canaryAll: this.canaryAll,
      podHistograms: { canary: { ...this.podHistograms.canary }, stable: { ...this.podHistograms.stable } },
      ...(this.boundary !== undefined ? { boundary: this.boundary } : {}),
    };
  }

  get quantile(): number {
    return this.latencySettings.quantile;
  }

  private addPods(les: readonly number[] | undefined, pods: readonly PodHistogram[] | undefined): void {
    if (!les) return;
    for (const p of pods ?? []) {
      const into = this.podHistograms[p.role];
      into[p.pod] = addHistograms([into[p.pod] ?? { buckets: [], count: 0 }, podWindow(les, p)]);
    }
  }

  /** The stable's recent past: its histogram (x is known from the start), its pods, and its bins. */
  addBaseline(b: Baseline): void {
    this.addPods(
      b.les,
      (b.podHistograms ?? []).filter((p) => p.role === 'stable'),
    );
    if (b.les)
      this.stablePast = addHistograms([
        this.stablePast,
        ...(b.podHistograms ?? []).map((p) => podWindow(b.les ?? [], p)),
      ]);
    this.chooseBoundary();
    const x = this.boundary;
    if (x !== undefined)
      for (const bin of b.binHistograms ?? []) this.stableBins = addBin(this.stableBins, bin.count, above(bin, x) ?? 0);
    this.refresh();
  }

  /** One window: its events above x (x from before it), then the bookkeeping. */
  add(canary: HistogramWindow, stable: HistogramWindow, extras: HistogramExtras = {}): void {
    this.chooseBoundary();
    const x = this.boundary;
    const canarySlow = x === undefined ? undefined : above(canary, x);
    const stableSlow = x === undefined ? undefined : above(stable, x);
    const known = canarySlow !== undefined && stableSlow !== undefined;
    const window: EventWindow = {
      canaryRequests: canary.count,
      canaryEvents: canarySlow ?? 0,
      stableRequests: stable.count,
      stableEvents: stableSlow ?? 0,
      shifted: (extras.shifted ?? false) || !known,
      from: extras.from,
      to: extras.to,
    };
    this.observe(window);
    for (const p of extras.pods ?? []) this.addPod(p.role, p.pod, p.count, 0);
    this.stablePast = addHistograms([this.stablePast, stable]);
    if (this.keepIntervals) this.canaryAll = addHistograms([this.canaryAll, canary]);
    this.addPods(extras.les, extras.pods);
  }

  /** x from the stable's past. */
  private chooseBoundary(): void {
    const total = this.stablePast.count;
    if (total < minStableObservations(this.quantile)) return;
    this.boundary = quantileBoundary(cumulative(this.stablePast), total, this.quantile);
  }

  protected ratios(): { tolerance: number; detect: number } | undefined {
    const x = this.boundary;
    const total = this.stablePast.count;
    if (x === undefined || total <= 0) return undefined;
    const cum = cumulative(this.stablePast);
    const atX = survivalAt(cum, total, x);
    if (atX <= 0) return undefined;
    const tolerance = Math.max(1, survivalAt(cum, total, x / this.settings.maxRatio) / atX);
    const detect = Math.max(tolerance * MIN_SEPARATION, survivalAt(cum, total, x / this.settings.detectRatio) / atX);
    return { tolerance, detect };
  }

  /** The tolerated and to-detect ratios of fractions above x now (for the evidence). */
  get currentRatios(): { tolerance: number; detect: number } | undefined {
    return this.ratios();
  }

  protected spreadPods(): { canary: PodEvents[]; stable: PodEvents[] } {
    const x = this.boundary;
    const at = (hs: Record<string, HistogramWindow>) =>
      x === undefined ? [] : Object.values(hs).map((h) => ({ requests: h.count, events: above(h, x) ?? 0 }));
    return { canary: at(this.podHistograms.canary), stable: at(this.podHistograms.stable) };
  }

  /** Whether the stable never had a request above x (then no ratio can be measured). */
  get stableNeverAbove(): boolean {
    const x = this.boundary;
    return x !== undefined && this.paired.stableRequests > 0 && (above(this.stablePast, x) ?? 0) === 0;
  }

  protected identicalRate(): number {
    const x = this.boundary;
    if (x === undefined || this.stablePast.count <= 0) return 0;
    return (above(this.stablePast, x) ?? 0) / this.stablePast.count;
  }

  protected absoluteDetect(): number | undefined {
    return this.stableNeverAbove ? (1 - this.quantile) / this.factors.spreadPass : undefined;
  }

  protected canaryAlone(w: EventWindow): Pick<TestInterval, 'fail' | 'pass'> {
    if (w.shifted || w.canaryRequests <= 0 || !this.stableNeverAbove) return { fail: {}, pass: {} };
    const bound = (1 - this.quantile) / this.factors.spreadPass;
    const good = Math.max(1e-6, Math.min(this.canaryRate(0, 1), bound / 10));
    return { fail: {}, pass: { absolute: this.bernoulli(w, good, bound) } };
  }

  /** The chosen quantile of each version over everything seen (NaN without observations). */
  quantiles(): { canary: number; stable: number } {
    return {
      canary: histogramQuantile(this.quantile, this.canaryAll),
      stable: histogramQuantile(this.quantile, this.stablePast),
    };
  }
}
