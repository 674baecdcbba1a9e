/**
 * Threshold judges as existing tools configure them: every `windowMin` minutes one check of the last
 * `windowMin` minutes; a check fails when the canary's success rate is below `floor` (errors) or its
 * quantile is above `latencyBound` × the stable's (latency, Ramp's threshold judge's check); the
 * analysis rolls back at the `failuresToRollback`-th failed check (Flagger's `threshold`, Argo's
 * failureLimit + 1). A window without canary requests is no check. At the horizon it promotes, unless
 * a rollback is already due.
 *
 * Flagger checks `failedChecks >= threshold` at the start of a tick, before that tick's analysis
 * (pkg/controller/scheduler.go, advanceCanary), so the check that reaches the threshold only rolls back
 * at the next tick, one interval later, while the canary keeps its traffic. Argo's AnalysisRun turns
 * Failed as the measurement that exceeds failureLimit is taken, and the rollout aborts on it at once.
 */
import { histogramQuantile } from '../../src/analysis/histogram';
import type { HistogramWindow } from '../../src/analysis/types';
import type { Scenario } from './scenarios';
import { decidedAfter, type BenchJudge, type Outcome, type Served, type WindowData } from './benchJudge';

export interface WindowRules {
  windowMin: number;
  failuresToRollback: number;
  /** Whether the rollback waits for the next tick after the failing check (Flagger) or not (Argo). */
  rollbackAtNextTick: boolean;
  /** Minimum canary success rate (errors). */
  floor: number;
  /** Maximum canary/stable quantile ratio (latency). */
  latencyBound: number;
}

/** Flagger's defaults: request-success-rate ≥ 99% over 1 m, checked every minute, rollback at 5 failed checks. */
export const FLAGGER: Omit<WindowRules, 'latencyBound'> = {
  windowMin: 1,
  failuresToRollback: 5,
  rollbackAtNextTick: true,
  floor: 0.99,
};
/** Argo Rollouts' documented example: success rate ≥ 95% over 5 m every 5 m, failureLimit 3. */
export const ARGO: Omit<WindowRules, 'latencyBound'> = {
  windowMin: 5,
  failuresToRollback: 4,
  rollbackAtNextTick: false,
  floor: 0.95,
};

/** One window's sums (bucket arrays share the scenario's layout). */
export interface WindowSums {
  canaryRequests: number;
  canaryErrors: number;
  canaryBuckets?: number[];
  stableBuckets?: number[];
  canaryCount: number;
  stableCount: number;
}

function histogram(les: readonly number[], counts: readonly number[], count: number): HistogramWindow {
  return { buckets: les.map((le, i) => ({ le, count: counts[i] })), count };
}

/** The canary/stable quantile ratio of a window (NaN when either has no observations). */
export function windowLatencyRatio(w: WindowSums, les: readonly number[], quantile: number): number {
  if (!w.canaryBuckets || !w.stableBuckets || w.canaryCount === 0 || w.stableCount === 0) return NaN;
  return (
    histogramQuantile(quantile, histogram(les, w.canaryBuckets, w.canaryCount)) /
    histogramQuantile(quantile, histogram(les, w.stableBuckets, w.stableCount))
  );
}

/** Whether one window's check fails (undefined: no check). */
export function windowFails(
  w: WindowSums,
  scenario: Scenario,
  rules: WindowRules,
  les: readonly number[],
): boolean | undefined {
  if (scenario.metric.kind === 'errors') {
    if (w.canaryRequests === 0) return undefined;
    return 1 - w.canaryErrors / w.canaryRequests < rules.floor;
  }
  const r = windowLatencyRatio(w, les, scenario.metric.quantile);
  return Number.isNaN(r) ? undefined : r > rules.latencyBound;
}

export function emptySums(les: readonly number[] | undefined): WindowSums {
  return {
    canaryRequests: 0,
    canaryErrors: 0,
    canaryCount: 0,
    stableCount: 0,
    canaryBuckets: les?.map(() => 0),
    stableBuckets: les?.map(() => 0),
  };
}

/** Adds a measurement window to a check's sums. */
export function accumulate(w: WindowSums, iv: WindowData): void {
  w.canaryRequests += iv.canary.requests;
  w.canaryErrors += iv.canary.errors;
  const add = (into: number[] | undefined, h: HistogramWindow | undefined): number => {
    if (!into || !h) return 0;
    for (let i = 0; i < into.length; i++) into[i] += h.buckets[i].count;
    return h.count;
  };
  w.canaryCount += add(w.canaryBuckets, iv.canaryHist);
  w.stableCount += add(w.stableBuckets, iv.stableHist);
}

export class WindowJudge implements BenchJudge {
  private sums: WindowSums;
  private nextCheck: number;
  private failures = 0;
  /** Set once the threshold is reached by a judge that rolls back at the next tick. */
  private rollbackDue = false;

  constructor(
    private readonly scenario: Scenario,
    private readonly rules: WindowRules,
    private readonly les: readonly number[],
  ) {
    this.nextCheck = rules.windowMin;
    this.sums = emptySums(scenario.metric.kind === 'latency' ? les : undefined);
  }

  /** A check every windowMin minutes of measurements (a window closing past the mark completes it). */
  observe(iv: WindowData, served: Served): Outcome | undefined {
    accumulate(this.sums, iv);
    if (iv.minute < this.nextCheck - 1e-9) return undefined;
    this.nextCheck += this.rules.windowMin;
    if (this.rollbackDue) return decidedAfter(iv, served, true);
    const failed = windowFails(this.sums, this.scenario, this.rules, this.les);
    this.sums = emptySums(this.scenario.metric.kind === 'latency' ? this.les : undefined);
    if (!failed || ++this.failures < this.rules.failuresToRollback) return undefined;
    if (!this.rules.rollbackAtNextTick) return decidedAfter(iv, served, true);
    this.rollbackDue = true;
    return undefined;
  }

  atHorizon(served: Served, minute: number): Outcome {
    // A rollback already due happens at the next tick instead of the promotion.
    return { decided: true, rolledBack: this.rollbackDue, ...served, minute };
  }
}
