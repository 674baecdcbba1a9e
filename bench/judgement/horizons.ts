/**
 * How the matched-alpha threshold judge's blast radius depends on how long the analysis may run: the
 * longer a rollout is watched, the stricter a fixed floor must be to keep identical versions at a 1%
 * false-rollback rate, and the longer it then takes to roll back a real regression. The sequential
 * judge's figures do not depend on it (its guarantee holds for any horizon).
 */
import { createRng, seedFromString } from '@ramp/sandbox/util/random';
import { calibrate } from './calibrate';
import { StreamSource } from './runner';
import { BUCKETS, type Scenario } from './scenarios';
import { FLAGGER, WindowJudge } from './windowJudge';
import type { Outcome } from './benchJudge';

export interface HorizonRow {
  horizonMinutes: number;
  floor: number;
  calibrationFalseRollbackRate: number;
  rollbackRate: number;
  meanCanaryErrorsBeforeRollback: number | null;
}

/** The matched judge tuned for each horizon, then run on `regressed` (an errors scenario) for that horizon. */
export function matchedByHorizon(
  identical: Scenario,
  regressed: Scenario,
  runs: number,
  horizons: readonly number[],
): HorizonRow[] {
  return horizons.map((h) => {
    const { floor, falseRollbackRate } = calibrate(identical, runs, h);
    let rollbacks = 0;
    let errors = 0;
    for (let run = 0; run < runs; run++) {
      const source = new StreamSource(regressed, createRng(seedFromString(`horizon:${regressed.name}:${h}:${run}`)));
      // Minute-long intervals: the judge's windows are a minute, so nothing finer changes its decisions.
      const judge = new WindowJudge(regressed, { ...FLAGGER, floor, latencyBound: Infinity }, BUCKETS, 60);
      const served = { canaryRequests: 0, canaryErrors: 0 };
      let outcome: Outcome | undefined;
      for (let minute = 0; minute < h && !outcome; minute++) {
        const iv = source.interval(minute, 60);
        outcome = judge.observe(iv, served);
        served.canaryRequests += iv.canary.requests;
        served.canaryErrors += iv.canary.errors;
      }
      outcome ??= judge.atHorizon(served);
      if (outcome.rolledBack) {
        rollbacks++;
        errors += outcome.canaryErrors;
      }
    }
    return {
      horizonMinutes: h,
      floor,
      calibrationFalseRollbackRate: falseRollbackRate,
      rollbackRate: rollbacks / runs,
      meanCanaryErrorsBeforeRollback: rollbacks ? errors / rollbacks : null,
    };
  });
}
