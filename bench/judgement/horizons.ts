/**
 * How the matched-alpha threshold judge's blast radius depends on how long the analysis may run: the
 * longer a rollout is watched, the stricter a fixed floor must be to keep identical versions at a 1%
 * false-rollback rate, and the longer it then takes to roll back a real regression. The sequential
 * judge's figures do not depend on it (its guarantee holds for any horizon).
 */
import { createRng, seedFromString } from '../../src/util/random';
import { calibrate } from './calibrate';
import { StreamSource } from './runner';
import type { Scenario } from './scenarios';
import { FLAGGER } from './windowJudge';

export interface HorizonRow {
  horizonMinutes: number;
  floor: number;
  calibrationFalseRollbackRate: number;
  rollbackRate: number;
  meanCanaryErrorsBeforeRollback: number | null;
}

/** The matched judge tuned for each horizon, then run on `regressed` (an errors scenario) for that horizon. */
export function matchedByHorizon(identical: Scenario, regressed: Scenario, runs: number, horizons: readonly number[]): HorizonRow[] {
  return horizons.map((h) => {
    const { floor, falseRollbackRate } = calibrate(identical, runs, h);
    let rollbacks = 0;
    let errors = 0;
    for (let run = 0; run < runs; run++) {
      const source = new StreamSource(regressed, createRng(seedFromString(`horizon:${regressed.name}:${h}:${run}`)));
      let failures = 0;
      let served = 0;
      for (let minute = 0; minute < h; minute++) {
        const w = source.interval(minute, 60);
        served += w.canary.errors;
        if (w.canary.requests > 0 && 1 - w.canary.errors / w.canary.requests < floor && ++failures >= FLAGGER.failuresToRollback) {
          rollbacks++;
          errors += served;
          break;
        }
      }
    }
    return { horizonMinutes: h, floor, calibrationFalseRollbackRate: falseRollbackRate, rollbackRate: rollbacks / runs, meanCanaryErrorsBeforeRollback: rollbacks ? errors / rollbacks : null };
  });
}
