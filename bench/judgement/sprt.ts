/**
 * Wald's SPRT of the same hypotheses as the sequential judge, knowing the stable's true rate — the
 * optimum no real judge can reach, since none knows it: H0 "the canary's rate is at the tolerance"
 * (max(maxRatio × p, p + maxIncrease) for errors; the stable's fraction above x at x / maxRatio for
 * latency) against H1 "it is at the regression to detect" (detectRatio, detectIncrease), by formula and
 * by simulation on the canary's requests one at a time (the order of a window's events among its requests
 * drawn at random, so it sees the same canary traffic as the other judges). Boundaries ln A = ln((1 −
 * β)/α), ln B = ln(β/(1 − α)).
 */
import type { Rng } from '@ramp/sandbox/util/random';
import { DEFAULT_BETA } from '../../src/analysis/judges/sequentialSettings';
import type { BenchJudge, Outcome, Served, WindowData } from './benchJudge';

export interface SprtRates {
  /** The event rate under H0 and under H1, for the window ending at `minute`. */
  p0(minute: number): number;
  p1(minute: number): number;
  /** The canary's events of a window: errors, or requests slower than the oracle's boundary. */
  events(w: WindowData): { requests: number; events: number };
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

  observe(w: WindowData, served: Served, rng: Rng): Outcome | undefined {
    const p0 = this.rates.p0(w.minute);
    const p1 = this.rates.p1(w.minute);
    const up = Math.log(p1 / p0);
    const down = Math.log((1 - p1) / (1 - p0));
    const { requests, events } = this.rates.events(w);
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
          minute: w.minute,
        };
      }
    }
    return undefined;
  }

  atHorizon(served: Served, minute: number): Outcome {
    return { decided: false, rolledBack: false, ...served, minute };
  }
}
