/**
 * The threshold judge, in the style of existing tools (Argo Rollouts' failureLimit/consecutive): each
 * measurement is checked on its own against a fixed bound, and failed checks are counted. Pure.
 *
 * Its carry (what the engine no longer keeps) is the count of the dropped measurements' checks and the
 * last window of them, which later checks still reach back into: failureLimit counts over the whole
 * analysis, and every check sees its full window, however few measurements the engine keeps.
 */
import { z } from 'zod';
import type { Judge, JudgeContext } from '../judge';
import { measurementSchema, type Measurement, type Verdict } from '../types';
import type { MetricSpec } from '../../plan/schema';
import { tally, type Check, type CountingRules } from './checks';
import { DEFAULT_MIN_REQUESTS, errorRateChecks, latencyChecks } from './windowChecks';

/**
 * The built-in metrics have no threshold block. Their default is Argo Rollouts' failureLimit 0: the
 * first failed check fails the metric, so `consecutive` 3 only matters when failureLimit is raised
 * (ThresholdJudgeOptions, e.g. for the benchmark). Protection against noise comes from judging a whole
 * window (≥ minRequests canary requests) with an absolute slack, not from repetition.
 */
export const BUILT_IN_RULES = { failureLimit: 0, consecutive: 3 } as const;

/** How many taken checks a pass needs. */
export const MIN_CHECKS_TO_PASS = 3;

/** The sliding window built-in metrics are judged over. */
export const WINDOW_MS = 60_000;

export interface ThresholdJudgeOptions {
  /** failureLimit/consecutive for errorRate and latency (default BUILT_IN_RULES). */
  builtInRules?: { failureLimit: number; consecutive?: number };
  windowMs?: number;
  minChecksToPass?: number;
}

const carrySchema = z.object({
  v: z.literal(1),
  kind: z.literal('threshold'),
  counts: z.object({
    failures: z.number().int().min(0),
    taken: z.number().int().min(0),
    longestRun: z.number().int().min(0),
    currentRun: z.number().int().min(0),
  }),
  /** The dropped measurements later checks' windows still reach. */
  tail: z.array(measurementSchema),
});
type Carry = z.infer<typeof carrySchema>;

const NO_CARRY: Carry = {
  v: 1,
  kind: 'threshold',
  counts: { failures: 0, taken: 0, longestRun: 0, currentRun: 0 },
  tail: [],
};

function valueCheck(m: Measurement, min: number | undefined, max: number | undefined): Check {
  if (m.kind !== 'value') {
    const reason = m.kind === 'missing' ? m.reason : `expected a value measurement, got ${m.kind}`;
    return { outcome: 'missing', reason, evidence: { missing: reason } };
  }
  const low = min !== undefined && m.value < min;
  const high = max !== undefined && m.value > max;
  const evidence: Record<string, number | string> = { value: m.value };
  if (min !== undefined) evidence.min = min;
  if (max !== undefined) evidence.max = max;
  const range = `${min ?? '-∞'}…${max ?? '+∞'}`;
  return {
    outcome: low || high ? 'fail' : 'pass',
    reason: `value ${m.value} ${low || high ? 'outside' : 'within'} ${range}`,
    evidence,
  };
}

/** The measurements checks are made of: a baseline (the stable's past) is context for the sequential judge, not a check. */
function checked(ms: readonly Measurement[]): Measurement[] {
  return ms.filter((m) => m.kind !== 'baseline');
}

/** Judges query metrics against their threshold, errorRate and latency canary-vs-stable over a window. */
export class ThresholdJudge implements Judge {
  readonly kind = 'threshold';
  private readonly builtIn: { failureLimit: number; consecutive?: number };
  private readonly windowMs: number;
  private readonly minChecks: number;

  constructor(opts: ThresholdJudgeOptions = {}) {
    this.builtIn = opts.builtInRules ?? BUILT_IN_RULES;
    this.windowMs = opts.windowMs ?? WINDOW_MS;
    this.minChecks = opts.minChecksToPass ?? MIN_CHECKS_TO_PASS;
  }

  judge(all: readonly Measurement[], ctx: JudgeContext): Verdict {
    const measurements = checked(all);
    const from = carrySchema.safeParse(ctx.carried ?? NO_CARRY);
    if (!from.success) {
      const why =
        'the counts of checks older than the latest measurements cannot be read back (written by another version of Ramp?)';
      return {
        metric: ctx.metric.name,
        decision: 'inconclusive',
        reason: why,
        evidence: { missing: why },
      };
    }
    const { checks, rules } = this.checksAfter(from.data, measurements, ctx.metric);
    const t = tally(checks, rules, from.data.counts);
    const latest = checks[checks.length - 1];
    const evidence: Record<string, number | string> = {
      ...(latest?.evidence ?? {}),
      measurements: measurements.length,
      checks: t.taken,
      failures: t.failures,
      consecutiveFailures: t.currentRun,
      failureLimit: rules.failureLimit,
    };
    if (rules.consecutive !== undefined) evidence.consecutive = rules.consecutive;
    return { metric: ctx.metric.name, decision: t.decision, reason: this.reason(t, rules, latest), evidence };
  }

  fold(dropped: readonly Measurement[], ctx: JudgeContext): unknown {
    const measurements = checked(dropped);
    const from = carrySchema.safeParse(ctx.carried ?? NO_CARRY);
    // An unreadable carry stays as it is: the verdict stays inconclusive rather than forgetting failures.
    if (!from.success) return ctx.carried;
    const { checks, rules } = this.checksAfter(from.data, measurements, ctx.metric);
    const { failures, taken, longestRun, currentRun } = tally(checks, rules, from.data.counts);
    const all = [...from.data.tail, ...measurements];
    const last = all[all.length - 1];
    // Query checks look at their own measurement only; windowed ones at the last windowMs.
    const tail =
      ctx.metric.query !== undefined || last === undefined ? [] : all.filter((m) => m.at > last.at - this.windowMs);
    return { v: 1, kind: 'threshold', counts: { failures, taken, longestRun, currentRun }, tail } satisfies Carry;
  }

  /** The checks of `measurements`, each on its full window (reaching into the carry's tail). */
  private checksAfter(
    from: Carry,
    measurements: readonly Measurement[],
    metric: MetricSpec,
  ): { checks: Check[]; rules: CountingRules } {
    const { checks, rules } = this.checksFor([...from.tail, ...measurements], metric);
    return { checks: checks.slice(from.tail.length), rules };
  }

  private checksFor(ms: readonly Measurement[], metric: MetricSpec): { checks: Check[]; rules: CountingRules } {
    const windowed = { windowMs: this.windowMs };
    if (metric.errorRate) {
      const o = metric.errorRate;
      return {
        checks: errorRateChecks(ms, {
          ...windowed,
          maxRatio: o.maxRatio,
          minRequests: o.minRequests ?? DEFAULT_MIN_REQUESTS,
        }),
        rules: { ...this.builtIn, minChecks: this.minChecks },
      };
    }
    if (metric.latency) {
      const o = metric.latency;
      const checks = latencyChecks(ms, {
        ...windowed,
        quantile: o.quantile,
        maxRatio: o.maxRatio,
        minRequests: o.minRequests ?? DEFAULT_MIN_REQUESTS,
      });
      return { checks, rules: { ...this.builtIn, minChecks: this.minChecks } };
    }
    const th = metric.threshold;
    return {
      checks: ms.map((m) => valueCheck(m, th?.min, th?.max)),
      rules: { failureLimit: th?.failureLimit ?? 0, consecutive: th?.consecutive, minChecks: this.minChecks },
    };
  }

  private reason(t: ReturnType<typeof tally>, rules: CountingRules, latest: Check | undefined): string {
    if (!latest) return 'no measurements yet';
    const counted = `${t.failures} failed of ${t.taken} checks (limit ${rules.failureLimit}${rules.consecutive !== undefined ? `, ${rules.consecutive} in a row` : ''})`;
    if (t.decision === 'fail') {
      const why =
        t.failures > rules.failureLimit
          ? `${t.failures} failed checks > failureLimit ${rules.failureLimit}`
          : `${t.longestRun} failed checks in a row`;
      return `${why}; latest: ${latest.reason}`;
    }
    if (t.decision === 'pass') return `${counted}; latest: ${latest.reason}`;
    if (t.decision === 'inconclusive') return latest.reason;
    const need = latest.outcome === 'pass' ? `; a pass needs ${rules.minChecks} checks` : '';
    return `${latest.reason}; ${counted}${need}`;
  }
}
