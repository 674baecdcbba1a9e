/**
 * The error-rate stream of the sequential judge. The tolerance is "the canary's error rate is at most
 * maxRatio × the stable's, or at most maxIncrease above it"; the regression to detect is "at least
 * detectRatio × and at least detectIncrease above". Each window feeds:
 *
 * - fail `ratio`: the conditional test of the ratio of error rates (conditionalStream.ts) against
 *   maxRatio × the pod-spread bound;
 * - fail `increase`: the canary's own errors against (the stable's rate, bounded above at level
 *   INCREASE_BOUND_SHARE·α by a confidence sequence, + maxIncrease) × the pod-spread bound. The tolerance
 *   is a union, so a rollback needs both (conditionalStream's contract);
 * - pass `ratio`: the conditional test against detectRatio (over the pass-side spread bound);
 * - pass `absolute`: the canary's own errors against detectIncrease: below it, the canary cannot be
 *   detectIncrease above anything, so "detectRatio × and detectIncrease above" is rejected. With few or no
 *   errors anywhere this is what passes identical versions (no ratio can be bounded from a handful).
 *
 * Counter resets, empty windows and alignment are handled before (counters.ts, measure.ts). Pure.
 */
import { z } from 'zod';
import type { Baseline, CountWindow, PodCounts } from '../types';
import { rateUpperBound } from '../stats/conditionalRatio';
import type { PodEvents } from '../stats/podSpread';
import { addBin } from '../stats/dispersion';
import { ConditionalStream, streamStateSchema, type EventWindow } from './conditionalStream';
import type { TestInterval } from './sequentialTest';
import { MIN_SEPARATION, type SequentialSettings } from './sequentialSettings';

/** The share of the metric's alpha the stable's upper bound (in the `increase` evidence) may spend. */
export const INCREASE_BOUND_SHARE = 0.1;

/** Requests the canary's plug-in error rate is pulled toward the stable's with. */
const RATE_PRIOR_REQUESTS = 200;

/** The smallest rate the canary-alone alternatives use (a log of 0 is not a number). */
const MIN_RATE = 1e-6;

const podEventsSchema = z.object({ requests: z.number(), events: z.number() });

/** What an error stream has learnt, to resume from (a judge's carry). */
export const errorStreamStateSchema = streamStateSchema.extend({
  history: z.object({ requests: z.number(), errors: z.number(), pods: z.record(z.string(), podEventsSchema) }),
  stableUpper: z.number(),
});
export type ErrorStreamState = z.infer<typeof errorStreamStateSchema>;

export interface WindowExtras {
  pods?: readonly PodCounts[];
  shifted?: boolean;
  /** The window's span (ms); without an end, the window feeds no bin (dispersion and plug-ins stay as they are). */
  from?: number;
  to?: number;
}

/** The error judge's state after some windows. */
export class ErrorRateStream extends ConditionalStream {
  /** The stable's recent past (the baseline): totals and per pod. */
  history = { requests: 0, errors: 0, pods: {} as Record<string, PodEvents> };
  /** The stable's error rate, bounded above (refreshed with the factors). */
  stableUpper = 1;

  constructor(settings: SequentialSettings, keepIntervals = true, from?: ErrorStreamState) {
    super(settings, ['ratio', 'increase'], keepIntervals, from);
    if (from) {
      const pods = Object.fromEntries(Object.entries(from.history.pods).map(([k, v]) => [k, { ...v }]));
      this.history = { ...from.history, pods };
      this.stableUpper = from.stableUpper;
    }
  }

  /** The state to resume from; its intervals are compacted (they only feed the estimate and the bound shown). */
  state(): ErrorStreamState {
    return {
      ...this.streamState(),
      history: {
        ...this.history,
        pods: Object.fromEntries(Object.entries(this.history.pods).map(([k, v]) => [k, { ...v }])),
      },
      stableUpper: this.stableUpper,
    };
  }

  get maxIncrease(): number {
    return this.settings.maxIncrease ?? 0;
  }

  get detectIncrease(): number {
    return this.settings.detectIncrease ?? 1;
  }

  /** The stable's recent past: its pods' spread and how its rate moved, before the first window. */
  addBaseline(b: Baseline): void {
    for (const p of b.pods ?? []) {
      if (p.role !== 'stable') continue;
      const was = this.history.pods[p.pod] ?? { requests: 0, events: 0 };
      this.history.pods[p.pod] = { requests: was.requests + p.requests, events: was.events + p.errors };
      this.history.requests += p.requests;
      this.history.errors += Math.min(p.errors, p.requests);
    }
    for (const bin of b.bins ?? [])
      this.stableBins = addBin(this.stableBins, bin.requests, Math.min(bin.errors, bin.requests));
    this.refresh();
  }

  /** One window. More errors than requests only happens when two counters were scraped apart; counted as possible. */
  add(canary: CountWindow, stable: CountWindow, extras: WindowExtras = {}): void {
    this.observe({
      canaryRequests: canary.requests,
      canaryEvents: Math.min(canary.errors, canary.requests),
      stableRequests: stable.requests,
      stableEvents: Math.min(stable.errors, stable.requests),
      shifted: extras.shifted ?? false,
      from: extras.from,
      to: extras.to,
    });
    for (const p of extras.pods ?? []) this.addPod(p.role, p.pod, p.requests, Math.min(p.errors, p.requests));
  }

  /** The stable's error rate over its recent past and the analysis. */
  get stableRate(): number {
    const n = this.history.requests + this.all.stableRequests;
    return n > 0 ? (this.history.errors + this.all.stableEvents) / n : 0;
  }

  protected ratios() {
    return { tolerance: this.settings.maxRatio, detect: this.settings.detectRatio };
  }

  protected spreadPods(): { canary: PodEvents[]; stable: PodEvents[] } {
    const stable: Record<string, PodEvents> = { ...this.history.pods };
    for (const [pod, e] of Object.entries(this.pods.stable)) {
      const was = stable[pod] ?? { requests: 0, events: 0 };
      stable[pod] = { requests: was.requests + e.requests, events: was.events + e.events };
    }
    return { canary: Object.values(this.pods.canary), stable: Object.values(stable) };
  }

  protected override refresh(): void {
    super.refresh();
    const n = this.history.requests + this.all.stableRequests;
    const k = this.history.errors + this.all.stableEvents;
    this.stableUpper = rateUpperBound(n, k, this.settings.alpha * INCREASE_BOUND_SHARE);
  }

  /** The tolerated rate the `increase` evidence tests against (the stable's bound + maxIncrease, × the spread bound). */
  get toleratedRate(): number {
    return Math.min(0.5, this.factors.spreadFail * (this.stableUpper + this.maxIncrease));
  }

  /** The canary rate the `absolute` pass evidence rejects (detectIncrease over the pass-side spread bound). */
  get detectRate(): number {
    return this.detectIncrease / this.factors.spreadPass;
  }

  protected identicalRate(): number {
    return this.stableRate;
  }

  protected absoluteDetect(): number | undefined {
    return this.detectRate < 1 ? this.detectRate : undefined;
  }

  protected canaryAlone(w: EventWindow): Pick<TestInterval, 'fail' | 'pass'> {
    if (w.canaryRequests <= 0) return { fail: {}, pass: {} };
    // Nothing is known of the stable's rate before its first requests: the tolerated rate is not defined yet.
    const increase = this.history.requests + this.all.stableRequests > 0;
    const guess = this.canaryRate(this.stableRate, RATE_PRIOR_REQUESTS);
    const nul = this.toleratedRate;
    const alternative = Math.min(0.95, Math.max(nul * (this.settings.detectRatio / this.settings.maxRatio), guess));
    const detect = this.detectRate;
    const good = Math.max(MIN_RATE, Math.min(guess, detect / MIN_SEPARATION));
    return {
      fail: increase ? { increase: this.bernoulli(w, alternative, nul) } : {},
      pass: detect < 1 ? { absolute: this.bernoulli(w, good, detect) } : {},
    };
  }
}
