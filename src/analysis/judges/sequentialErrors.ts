/**
 * The error-rate stream of the sequential judge: each interval's request and 5xx increments per
 * revision become one interval of the sequential test, with errors as the events and maxRatio as the
 * alternative. Counter resets and empty intervals arrive already folded into increments (measure.ts);
 * an interval where one version served nothing, or nobody failed, carries no information about the
 * ratio and only adds exposure; so does one whose share moved inside it (a weight step), where the
 * share does not say where its errors were likely to fall. Pure.
 */
import { z } from 'zod';
import type { CountWindow } from '../types';
import { bernoulliLogLikelihoodRatio, compactIntervals, type EventCounts } from '../stats/conditionalRatio';
import { SequentialTest, informative, shareOf, testStateSchema } from './sequentialTest';
import { NEGLIGIBLE_ERROR_RATE, clampAlternative, type SequentialSettings } from './sequentialSettings';

export const eventCountsSchema = z.object({
  share: z.number().gt(0).lt(1),
  canaryEvents: z.number().min(0),
  stableEvents: z.number().min(0),
});

/** What an error stream has learnt, to resume from (a judge's carry). */
export const errorStreamStateSchema = z.object({
  test: testStateSchema,
  totals: z.object({
    canaryRequests: z.number(),
    canaryErrors: z.number(),
    stableRequests: z.number(),
    stableErrors: z.number(),
  }),
  negligibleLlr: z.number(),
  intervals: z.array(eventCountsSchema),
});
export type ErrorStreamState = z.infer<typeof errorStreamStateSchema>;

/** The error judge's state after some intervals. */
export class ErrorRateStream {
  readonly test: SequentialTest;
  readonly alternative: number;
  /** The informative intervals, for the ratio estimate and bound (kept only when asked: the benchmark does not). */
  readonly intervals: EventCounts[] = [];
  readonly totals = { canaryRequests: 0, canaryErrors: 0, stableRequests: 0, stableErrors: 0 };
  /** ln LR of "canary rate = negligible/10" against "canary rate = negligible": the no-errors pass. */
  negligibleLlr = 0;

  constructor(
    readonly settings: SequentialSettings,
    private readonly keepIntervals = true,
    from?: ErrorStreamState,
  ) {
    this.test = new SequentialTest(settings, from?.test);
    this.alternative = clampAlternative(settings.maxRatio);
    if (from) {
      Object.assign(this.totals, from.totals);
      this.negligibleLlr = from.negligibleLlr;
      this.intervals.push(...from.intervals);
    }
  }

  /** The state to resume from; its intervals are compacted (they only feed the estimate and the bound shown). */
  state(): ErrorStreamState {
    return {
      test: this.test.state(),
      totals: { ...this.totals },
      negligibleLlr: this.negligibleLlr,
      intervals: compactIntervals(this.intervals),
    };
  }

  /** `shifted`: the share moved inside the interval (Measurement.shifted), so its errors are exposure only. */
  add(canary: CountWindow, stable: CountWindow, shifted = false): void {
    // More errors than requests only happens when two counters were scraped apart; count what is possible.
    const canaryErrors = Math.min(canary.errors, canary.requests);
    const stableErrors = Math.min(stable.errors, stable.requests);
    const tested = shifted
      ? { canaryEvents: 0, stableEvents: 0 }
      : { canaryEvents: canaryErrors, stableEvents: stableErrors };
    const iv = {
      canaryRequests: canary.requests,
      stableRequests: stable.requests,
      ...tested,
      alternative: this.alternative,
    };
    this.totals.canaryRequests += canary.requests;
    this.totals.canaryErrors += canaryErrors;
    this.totals.stableRequests += stable.requests;
    this.totals.stableErrors += stableErrors;
    this.negligibleLlr += bernoulliLogLikelihoodRatio(
      canary.requests,
      canaryErrors,
      NEGLIGIBLE_ERROR_RATE / 10,
      NEGLIGIBLE_ERROR_RATE,
    );
    if (this.keepIntervals && informative(iv))
      this.intervals.push({ share: shareOf(iv), canaryEvents: canaryErrors, stableEvents: stableErrors });
    this.test.add(iv);
    if (!this.test.failed && this.negligiblePassing) this.test.markPassed();
  }

  /** Whether the canary's own error rate is below the negligible rate with confidence 1 − β. */
  get negligiblePassing(): boolean {
    return this.test.exposure >= this.settings.minExposure && this.negligibleLlr >= this.test.passBoundary;
  }

  get decision(): 'fail' | 'pass' | 'continue' {
    if (this.test.failed) return 'fail';
    return this.test.passing || this.negligiblePassing ? 'pass' : 'continue';
  }
}
