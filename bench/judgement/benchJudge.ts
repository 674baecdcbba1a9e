/**
 * What the benchmark feeds a judge and what it wants back. Every judge of a run sees the same windows;
 * each says when it decided and what.
 */
import type { Rng } from '@ramp/sandbox/util/random';
import type { WindowData } from './cluster';

export type { WindowData } from './cluster';

/** The canary's running totals before the window being judged. */
export interface Served {
  canaryRequests: number;
  canaryErrors: number;
}

export interface Outcome {
  /** False when the run's horizon came first. */
  decided: boolean;
  rolledBack: boolean;
  /** Canary requests and errors served when the decision was made, and when (minutes into the analysis). */
  canaryRequests: number;
  canaryErrors: number;
  minute: number;
}

/** A judge in a run: fed window by window until it returns an outcome. */
export interface BenchJudge {
  /** `served` is before `w`; return the outcome once decided (the runner stops feeding then). */
  observe(w: WindowData, served: Served, rng: Rng): Outcome | undefined;
  /** At the horizon, undecided: threshold judges promote (their analysis is over); statistical ones did not decide. */
  atHorizon(served: Served, minute: number): Outcome;
}

/** The outcome "decided at the end of this window". */
export function decidedAfter(w: WindowData, served: Served, rolledBack: boolean): Outcome {
  return {
    decided: true,
    rolledBack,
    canaryRequests: served.canaryRequests + w.canary.requests,
    canaryErrors: served.canaryErrors + w.canary.errors,
    minute: w.minute,
  };
}
