import type { MetricSpec } from '../plan/schema';
import type { Measurement, Verdict } from './types';

export interface JudgeContext {
  metric: MetricSpec;
  /** This metric's share of the rollout's false-rollback budget (the sequential judge splits alpha). */
  alpha: number;
  /** When analysis started and what time it is now (ms since the epoch); judges never read a clock. */
  analysisStartedAt: number;
  now: number;
  /**
   * What this judge folded from measurements the engine no longer keeps (`fold`'s answer, stored with
   * the rollout), or undefined when nothing was dropped. Opaque outside the judge.
   */
  carried?: unknown;
}

/**
 * Decides one metric from its measurements. Implementations live in judges/, one file each, built by
 * judges/factory.ts.
 */
export interface Judge {
  readonly kind: string;

  /**
   * Pure and deterministic: the verdict for every measurement so far (oldest first). `continue` when
   * there is not enough evidence either way; `inconclusive` when the data is missing or unusable (never
   * `pass` on missing data); `fail` when the evidence says the canary regressed; `pass` when it says it
   * did not. The verdict's evidence explains the decision with numbers.
   */
  judge(measurements: readonly Measurement[], ctx: JudgeContext): Verdict;

  /**
   * Folds the oldest measurements, which the engine is about to drop to keep the record bounded, into a
   * carry (JSON), starting from `ctx.carried`. Pure. The contract: judging the rest with the new carry
   * decides exactly as judging all of them with the old one would, so a long analysis loses nothing.
   * Undefined means the judge keeps no carry: it then judges only the measurements it is given (the
   * latest ones).
   */
  fold(measurements: readonly Measurement[], ctx: JudgeContext): unknown;
}
