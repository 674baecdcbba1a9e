/**
 * Ramp's sequential judge in the benchmark: the same streams the Judge replays (sequentialErrors.ts,
 * sequentialLatency.ts), fed incrementally — the Judge itself re-folds the whole history every call,
 * which is right for the engine and quadratic here. A unit test checks both give the same decisions.
 * `robust: false` turns off the allowances for pods that differ and rates that move apart (the pod-spread
 * bound and the dispersion stay 1), to show what they cost.
 */
import { ErrorRateStream } from '../../src/analysis/judges/sequentialErrors';
import { LatencyStream } from '../../src/analysis/judges/sequentialLatency';
import { sequentialSettings } from '../../src/analysis/judges/sequentialSettings';
import { metricSchema } from '../../src/plan/schema';
import type { Baseline } from '../../src/analysis/types';
import { decidedAfter, type BenchJudge, type Outcome, type Served, type WindowData } from './benchJudge';
import type { Scenario } from './scenarios';

export class SequentialBenchJudge implements BenchJudge {
  private readonly errors?: ErrorRateStream;
  private readonly latency?: LatencyStream;

  constructor(scenario: Scenario, alpha: number, baseline: Baseline, robust = true) {
    const m = scenario.metric;
    const metric = metricSchema.parse(
      m.kind === 'errors'
        ? { name: 'errors', errorRate: { maxRatio: m.maxRatio } }
        : { name: 'latency', latency: { quantile: m.quantile, maxRatio: m.maxRatio } },
    );
    const settings = { ...sequentialSettings(metric, alpha), robust };
    if (m.kind === 'errors') {
      this.errors = new ErrorRateStream(settings, false);
      this.errors.addBaseline(baseline);
    } else {
      this.latency = new LatencyStream({ ...settings, quantile: m.quantile }, false);
      this.latency.addBaseline(baseline);
    }
  }

  observe(w: WindowData, served: Served): Outcome | undefined {
    const extras = { shifted: w.shifted, from: w.from, to: w.to };
    let decision: 'fail' | 'pass' | 'continue';
    if (this.errors) {
      this.errors.add(w.canary, w.stable, { ...extras, pods: w.pods });
      decision = this.errors.decision;
    } else {
      const l = this.latency as LatencyStream;
      l.add(
        w.canaryHist as NonNullable<WindowData['canaryHist']>,
        w.stableHist as NonNullable<WindowData['stableHist']>,
        extras,
      );
      decision = l.decision;
    }
    return decision === 'continue' ? undefined : decidedAfter(w, served, decision === 'fail');
  }

  atHorizon(served: Served, minute: number): Outcome {
    return { decided: false, rolledBack: false, ...served, minute };
  }
}
