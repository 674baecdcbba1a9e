/**
 * What the benchmark feeds a judge and what it wants back. Every judge of a run sees the same
 * intervals; each says when it decided and what.
 */
import type { CountWindow, HistogramWindow } from '../../src/analysis/types';
import type { Rng } from '@ramp/sandbox/util/random';

/** One scrape interval of a run. */
export interface IntervalData {
  /** Minutes since the canary got traffic, at the end of this interval. */
  minute: number;
  canary: CountWindow;
  stable: CountWindow;
  canaryHist?: HistogramWindow;
  stableHist?: HistogramWindow;
}

/** The canary's running totals before the interval being judged. */
export interface Served {
  canaryRequests: number;
  canaryErrors: number;
}

export interface Outcome {
  /** False when the run's horizon came first. */
  decided: boolean;
  rolledBack: boolean;
  /** Canary requests and errors served when the decision was made. */
  canaryRequests: number;
  canaryErrors: number;
}

/** A judge in a run: fed interval by interval until it returns an outcome. */
export interface BenchJudge {
  /** `served` is before `iv`; return the outcome once decided (the runner stops feeding then). */
  observe(iv: IntervalData, served: Served, rng: Rng): Outcome | undefined;
  /** At the horizon, undecided: threshold judges promote (their analysis is over); statistical ones did not decide. */
  atHorizon(served: Served): Outcome;
}

/** The outcome "decided at the end of this interval". */
export function decidedAfter(iv: IntervalData, served: Served, rolledBack: boolean): Outcome {
  return {
    decided: true,
    rolledBack,
    canaryRequests: served.canaryRequests + iv.canary.requests,
    canaryErrors: served.canaryErrors + iv.canary.errors,
  };
}
