/**
 * Tunes the matched-alpha threshold judge: Flagger's rules (1-minute windows, rollback at the 5th failed
 * check) with the floor (errors) or the ratio bound (latency) set so that identical versions are rolled
 * back within the horizon in at most alpha of the runs — on calibration streams seeded apart from the
 * measured ones. A run is rolled back exactly when its 5th-worst window crosses the setting, so the
 * setting is an order statistic of the runs' 5th-worst windows: no search needed.
 */
import { createRng, seedFromString } from '@ramp/sandbox/util/random';
import { ALPHA, BUCKETS, HORIZON_MIN, SHARE, STABLE_LATENCY, type Scenario } from './scenarios';
import { StreamSource, type Matched } from './runner';
import { FLAGGER, accumulate, emptySums, windowLatencyRatio } from './windowJudge';

/** Identical versions with the scenario's traffic and metric: what the matched judge is tuned on. */
export function calibrationKey(s: Scenario): string {
  return s.metric.kind === 'errors' ? `errors@${s.rpm}` : `latency-q${s.metric.quantile}@${s.rpm}`;
}

/** The k-th worst value of a run's windows (undefined when it has fewer checks than k). */
function kthWorst(values: number[], k: number, worseIsLower: boolean): number | undefined {
  if (values.length < k) return undefined;
  values.sort((a, b) => (worseIsLower ? a - b : b - a));
  return values[k - 1];
}

/** The tuned setting for scenarios like `s`, from `runs` calibration runs. */
export function calibrate(
  s: Scenario,
  runs: number,
  horizonMin = HORIZON_MIN,
): Matched & { falseRollbackRate: number; runs: number } {
  const identical: Scenario = {
    ...s,
    canaryErrorRate: s.stableErrorRate,
    canaryLatency: STABLE_LATENCY,
    share: () => SHARE,
  };
  const k = FLAGGER.failuresToRollback;
  const worst: number[] = [];
  for (let run = 0; run < runs; run++) {
    const source = new StreamSource(
      identical,
      createRng(seedFromString(`calibrate:${calibrationKey(s)}:${horizonMin}:${run}`)),
    );
    const values: number[] = [];
    for (let minute = 0; minute < horizonMin; minute++) {
      const w = emptySums(s.metric.kind === 'latency' ? BUCKETS : undefined);
      accumulate(w, source.interval(minute, 60));
      if (s.metric.kind === 'errors') {
        if (w.canaryRequests > 0) values.push(1 - w.canaryErrors / w.canaryRequests);
      } else {
        const r = windowLatencyRatio(w, BUCKETS, s.metric.quantile);
        if (!Number.isNaN(r)) values.push(r);
      }
    }
    const v = kthWorst(values, k, s.metric.kind === 'errors');
    if (v !== undefined) worst.push(v);
  }
  const allowed = Math.floor(ALPHA * runs);
  // Errors: fail when a window's success < floor; the floor is the (allowed+1)-th lowest 5th-worst success.
  // Latency: fail when a window's ratio > bound; the bound is the (allowed+1)-th highest 5th-worst ratio.
  worst.sort((a, b) => (s.metric.kind === 'errors' ? a - b : b - a));
  const setting = worst.length > allowed ? worst[allowed] : s.metric.kind === 'errors' ? 0 : Infinity;
  const failing = worst.filter((v) => (s.metric.kind === 'errors' ? v < setting : v > setting)).length;
  return {
    floor: s.metric.kind === 'errors' ? setting : 0,
    latencyBound: s.metric.kind === 'latency' ? setting : Infinity,
    falseRollbackRate: failing / runs,
    runs,
  };
}
