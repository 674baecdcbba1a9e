/**
 * Wald's SPRT knowing the true p0 (stable's rate) and p1 — the optimum no real judge can reach, since
 * none knows p0 — by formula and by simulation on the canary's requests one at a time (the order of an
 * interval's errors among its requests drawn at random, so it sees the same canary traffic as the
 * other judges). Boundaries ln A = ln((1 − β)/α), ln B = ln(β/(1 − α)).
 */
import type { Rng } from '@ramp/sandbox/util/random';
import { DEFAULT_BETA } from '../../src/analysis/judges/sequentialSettings';
import type { BenchJudge, IntervalData, Outcome, Served } from './benchJudge';

export interface SprtRates {
  /** The event rate under "no regression" and under the regression, for the interval ending at `minute`. */
  p0(minute: number): number;
  p1(minute: number): number;
  /** The canary's events of an interval: errors, or requests slower than the oracle's boundary. */
  events(iv: IntervalData): { requests: number; events: number };
  /** Whether the events are the errors (then errors served are counted request by request). */
  eventsAreErrors: boolean;
}

/** Wald's expected sample size when the truth is p (p = p0 or p = p1), by his approximation. */
export function sprtExpectedRequests(
  p0: number,
  p1: number,
  truth: 'p0' | 'p1',
  alpha: number,
  beta = DEFAULT_BETA,
): number {
  const lnA = Math.log((1 - beta) / alpha);
  const lnB = Math.log(beta / (1 - alpha));
  const p = truth === 'p0' ? p0 : p1;
  const drift = p * Math.log(p1 / p0) + (1 - p) * Math.log((1 - p1) / (1 - p0));
  return truth === 'p0' ? (alpha * lnA + (1 - alpha) * lnB) / drift : ((1 - beta) * lnA + beta * lnB) / drift;
}

export class SprtJudge implements BenchJudge {
  private llr = 0;
  private readonly lnA: number;
  private readonly lnB: number;

  constructor(
    private readonly rates: SprtRates,
    alpha: number,
    beta = DEFAULT_BETA,
  ) {
    this.lnA = Math.log((1 - beta) / alpha);
    this.lnB = Math.log(beta / (1 - alpha));
  }

  observe(iv: IntervalData, served: Served, rng: Rng): Outcome | undefined {
    const p0 = this.rates.p0(iv.minute);
    const p1 = this.rates.p1(iv.minute);
    const up = Math.log(p1 / p0);
    const down = Math.log((1 - p1) / (1 - p0));
    const { requests, events } = this.rates.events(iv);
    let left = events;
    let errorsSoFar = 0;
    for (let j = 0; j < requests; j++) {
      // Request j is an event with probability (events left)/(requests left): a uniformly random order.
      const event = rng() * (requests - j) < left;
      if (event) left--;
      if (event && this.rates.eventsAreErrors) errorsSoFar++;
      this.llr += event ? up : down;
      if (this.llr >= this.lnA || this.llr <= this.lnB) {
        return {
          decided: true,
          rolledBack: this.llr >= this.lnA,
          canaryRequests: served.canaryRequests + j + 1,
          canaryErrors: served.canaryErrors + errorsSoFar,
        };
      }
    }
    return undefined;
  }

  atHorizon(served: Served): Outcome {
    return { decided: false, rolledBack: false, ...served };
  }
}
