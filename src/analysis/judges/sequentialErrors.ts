/**
 * The error-rate stream of the sequential judge: each interval's request and 5xx increments per
 * revision become one interval of the sequential test, with errors as the events and maxRatio as the
 * alternative. Counter resets and empty intervals arrive already folded into increments (measure.ts);
 * an interval where one version served nothing, or nobody failed, carries no information about the
 * ratio and only adds exposure. Pure.
 */
import type { CountWindow } from '../types';
import { bernoulliLogLikelihoodRatio, type EventCounts } from '../stats/conditionalRatio';
import { SequentialTest, informative, shareOf } from './sequentialTest';
import { NEGLIGIBLE_ERROR_RATE, clampAlternative, type SequentialSettings } from './sequentialSettings';

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
  ) {
    this.test = new SequentialTest(settings);
    this.alternative = clampAlternative(settings.maxRatio);
  }

  add(canary: CountWindow, stable: CountWindow): void {
    // More errors than requests only happens when two counters were scraped apart; count what is possible.
    const canaryErrors = Math.min(canary.errors, canary.requests);
    const stableErrors = Math.min(stable.errors, stable.requests);
    const iv = { canaryRequests: canary.requests, stableRequests: stable.requests, canaryEvents: canaryErrors, stableEvents: stableErrors, alternative: this.alternative };
    this.totals.canaryRequests += canary.requests;
    this.totals.canaryErrors += canaryErrors;
    this.totals.stableRequests += stable.requests;
    this.totals.stableErrors += stableErrors;
    this.negligibleLlr += bernoulliLogLikelihoodRatio(canary.requests, canaryErrors, NEGLIGIBLE_ERROR_RATE / 10, NEGLIGIBLE_ERROR_RATE);
    if (this.keepIntervals && informative(iv)) this.intervals.push({ share: shareOf(iv), canaryEvents: canaryErrors, stableEvents: stableErrors });
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
