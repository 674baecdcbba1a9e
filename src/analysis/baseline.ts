/**
 * A frozen baseline: analysis after a switch (blue-green's post-promotion analysis). Once the new
 * revision takes all the traffic, the revision it replaced serves nothing, so its live windows say
 * nothing. Its own windows from before the switch stand in for them: every new measurement's stable side
 * is replaced by one of the stable revision's last pre-switch windows, the most recent first, each used
 * once — so interval i after the switch is judged against the i-th most recent window before it, by the
 * same judge and test as before. The guarantee then rests on one assumption, said where it is used: the
 * old revision would serve now as it served then. When the windows run out the measurement is missing
 * (inconclusive), never judged against a window twice (that would reuse its noise). Pure.
 */
import { z } from 'zod';
import { countWindowSchema, histogramWindowSchema, type Measurement } from './types';

/** The stable revision's pre-switch windows not used yet, most recent first. */
export const baselineSchema = z.array(z.union([countWindowSchema, histogramWindowSchema]));
export type Baseline = z.infer<typeof baselineSchema>;

/** What restarting needs of an analysis state (the record's, kept structural so this module imports no engine code). */
interface AnalysisLike {
  startedAt?: number;
  lastAt?: number;
  trafficAtLastLook?: string;
  inconclusiveSince?: number;
  metrics: Record<string, { measurements: Measurement[]; baseline?: Baseline }>;
}

/** The stable sides of a metric's kept measurements, most recent first (query metrics have none: their bound is fixed). */
export function stableWindows(measurements: readonly Measurement[]): Baseline {
  const out: Baseline = [];
  for (const m of measurements) if (m.kind === 'counts' || m.kind === 'histogram') out.unshift(m.stable);
  return out;
}

/**
 * The analysis started over against a frozen baseline: each metric's kept measurements become its
 * baseline (their stable sides), and the test, its carry, its cursor and its verdict start afresh, so the
 * first look after this only reads the counters and the first window judged lies wholly after `now`.
 */
export function restartAgainstBaseline<A extends AnalysisLike>(analysis: A, now: number): A {
  const metrics = Object.fromEntries(
    Object.entries(analysis.metrics).map(([name, m]) => [
      name,
      { measurements: [], baseline: stableWindows(m.measurements) },
    ]),
  );
  return {
    ...analysis,
    startedAt: now,
    lastAt: undefined,
    trafficAtLastLook: undefined,
    inconclusiveSince: undefined,
    metrics,
  };
}

/**
 * The metrics among `requestMetrics` (errorRate and latency: judged against the frozen windows) whose
 * windows are all used: nothing they measure from now on can be judged.
 */
export function baselineUsedUp(analysis: AnalysisLike, requestMetrics: readonly string[]): string[] {
  return requestMetrics.filter((name) => analysis.metrics[name]?.baseline?.length === 0);
}

/**
 * `measurement` with its stable side replaced by the next baseline window, and the baseline left. A
 * missing or value measurement passes unchanged and uses nothing; with no window left it is missing.
 */
export function againstBaseline(
  measurement: Measurement | undefined,
  baseline: Baseline,
): { measurement: Measurement | undefined; baseline: Baseline } {
  if (!measurement || (measurement.kind !== 'counts' && measurement.kind !== 'histogram'))
    return { measurement, baseline };
  const [next, ...rest] = baseline;
  const missing = (reason: string) => ({
    measurement: { kind: 'missing' as const, at: measurement.at, reason },
    baseline,
  });
  if (next === undefined)
    return missing(
      'no pre-promotion window of the stable revision is left to compare with (each is used once; a longer pre-promotion analysis keeps more)',
    );
  // The live stable pods' own counts go with the live stable side: they serve nothing after the switch,
  // and the pod-spread estimate must not read their silence next to the frozen window's traffic.
  if (measurement.kind === 'counts' && 'requests' in next)
    return {
      measurement: { ...measurement, stable: next, pods: measurement.pods?.filter((p) => p.role === 'canary') },
      baseline: rest,
    };
  if (measurement.kind === 'histogram' && 'buckets' in next)
    return {
      measurement: { ...measurement, stable: next, pods: measurement.pods?.filter((p) => p.role === 'canary') },
      baseline: rest,
    };
  return missing(`the baseline holds ${'requests' in next ? 'counts' : 'histograms'}, not ${measurement.kind}`);
}
