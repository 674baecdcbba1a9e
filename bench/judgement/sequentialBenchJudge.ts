/**
 * Ramp's sequential judge in the benchmark: the same streams the Judge replays (sequentialErrors.ts,
 * sequentialLatency.ts), fed incrementally — the Judge itself re-folds the whole history every call,
 * which is right for the engine and quadratic here. A unit test checks both give the same decisions.
 */
import { ErrorRateStream } from '../../src/analysis/judges/sequentialErrors';
import { LatencyStream } from '../../src/analysis/judges/sequentialLatency';
import { DEFAULT_BETA, DEFAULT_MIN_EXPOSURE } from '../../src/analysis/judges/sequentialSettings';
import { decidedAfter, type BenchJudge, type IntervalData, type Outcome, type Served } from './benchJudge';
import type { Scenario } from './scenarios';

export class SequentialBenchJudge implements BenchJudge {
  private readonly errors?: ErrorRateStream;
  private readonly latency?: LatencyStream;

  constructor(scenario: Scenario, alpha: number) {
    const settings = {
      alpha,
      beta: DEFAULT_BETA,
      minExposure: DEFAULT_MIN_EXPOSURE,
      maxRatio: scenario.metric.maxRatio,
    };
    if (scenario.metric.kind === 'errors') this.errors = new ErrorRateStream(settings, false);
    else this.latency = new LatencyStream({ ...settings, quantile: scenario.metric.quantile }, false);
  }

  observe(iv: IntervalData, served: Served): Outcome | undefined {
    let decision: 'fail' | 'pass' | 'continue';
    if (this.errors) {
      this.errors.add(iv.canary, iv.stable);
      decision = this.errors.decision;
    } else {
      (this.latency as LatencyStream).add(
        iv.canaryHist as NonNullable<IntervalData['canaryHist']>,
        iv.stableHist as NonNullable<IntervalData['stableHist']>,
      );
      decision = (this.latency as LatencyStream).decision;
    }
    return decision === 'continue' ? undefined : decidedAfter(iv, served, decision === 'fail');
  }

  atHorizon(served: Served): Outcome {
    return { decided: false, rolledBack: false, ...served };
  }
}
