/**
 * The counting rules every threshold-style judgement shares: one check per measurement, then
 * failureLimit / consecutive / a minimum number of checks decide. Pure.
 */
import type { Decision } from '../types';

/** One measurement judged on its own: taken (pass/fail), not enough data yet, or no usable data. */
export interface Check {
  outcome: 'pass' | 'fail' | 'notEnoughData' | 'missing';
  /** One line saying why, with the numbers. */
  reason: string;
  evidence: Record<string, number | string>;
}

/** When failed checks fail the metric: more than `failureLimit` in all, or `consecutive` in a row. */
export interface CountingRules {
  failureLimit: number;
  consecutive?: number;
  /** Taken checks needed before a pass. */
  minChecks: number;
}

export interface Tally {
  decision: Decision;
  failures: number;
  taken: number;
  /** The longest run of failed checks (checks without a verdict neither extend nor break a run). */
  longestRun: number;
  /** The run of failed checks at the end. */
  currentRun: number;
}

/** The counts of earlier checks (whose measurements are no longer kept) to go on from. */
export type TallyCounts = Pick<Tally, 'failures' | 'taken' | 'longestRun' | 'currentRun'>;

/**
 * The decision for a metric's checks, oldest first, after the earlier checks counted in `from`. A fail
 * is final (counts never go down); then the latest check decides: missing → inconclusive, not enough
 * data → continue, failed → continue (still within the limits), passed → pass once `minChecks` were
 * taken.
 */
export function tally(checks: readonly Check[], rules: CountingRules, from?: TallyCounts): Tally {
  let failures = from?.failures ?? 0;
  let taken = from?.taken ?? 0;
  let run = from?.currentRun ?? 0;
  let longestRun = from?.longestRun ?? 0;
  for (const c of checks) {
    if (c.outcome === 'pass' || c.outcome === 'fail') taken++;
    if (c.outcome === 'pass') run = 0;
    if (c.outcome === 'fail') {
      failures++;
      run++;
      longestRun = Math.max(longestRun, run);
    }
  }
  const latest = checks[checks.length - 1];
  const base = { failures, taken, longestRun, currentRun: run };
  if (failures > rules.failureLimit || (rules.consecutive !== undefined && longestRun >= rules.consecutive))
    return { ...base, decision: 'fail' };
  if (!latest || latest.outcome === 'missing') return { ...base, decision: latest ? 'inconclusive' : 'continue' };
  if (latest.outcome === 'pass' && taken >= rules.minChecks) return { ...base, decision: 'pass' };
  return { ...base, decision: 'continue' };
}

/** Percent with two decimals, for reasons. */
export function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/** A number for evidence (verdicts are JSON: non-finite values become strings). */
export function num(x: number, digits = 6): number | string {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : String(x);
}
