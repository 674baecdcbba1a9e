/**
 * The bookkeeping of the sequential test both built-in metrics share, fed one window at a time (O(1)
 * each): e-processes (log likelihood ratios with alternatives chosen before each window is seen) on
 * each side, their boundaries, and epochs.
 *
 * - **fail**: each fail evidence tests one part of "the canary is within tolerance". The tolerance is a
 *   union (errors: within maxRatio × the stable's rate, or within maxIncrease of it), and a union is
 *   rejected only by rejecting each part, so the test fails once every fail evidence has crossed the
 *   boundary ln(1/α_k) in the current epoch. Each is a test supermartingale under its part, so by Ville's
 *   inequality it ever crosses with probability at most α_k, however often it is looked at. An evidence
 *   may be a mixture of likelihood ratios with different alternatives (weights summing to 1: still a
 *   test supermartingale), e.g. most weight on the regression to detect and some on the ratio the data
 *   show, so a 5× regression is not judged as if it were 2×. A fail is final.
 * - **pass**: each pass evidence tests "the canary has the regression to detect" (a part of it: rejecting
 *   either part rejects the whole), over the whole history; the test passes once one of them reaches
 *   ln(1/β) and the canary has served `minExposure` requests.
 * - **after a pass** the fail side keeps watching (the canary can turn bad at 50% after passing at 10%),
 *   but a likelihood ratio that drifted down through a long good period would take as long to climb back.
 *   So once passed, the fail side restarts ("epochs") whenever all its evidences not yet over the boundary
 *   are below −ln(1/β); epoch k may spend α·w_k of the budget, Σ w_k = 1, and the union bound keeps the
 *   false-rollback rate ≤ α over all epochs. w_1 = 0.95: a regression present from the start is the usual
 *   case. After a pass, w_k = 0.05 / (k(k − 1)).
 */
import { z } from 'zod';

export const FAIL_SIDES = ['ratio', 'increase'] as const;
export type FailSide = (typeof FAIL_SIDES)[number];
export const PASS_SIDES = ['ratio', 'absolute'] as const;
export type PassSide = (typeof PASS_SIDES)[number];

/**
 * One window, reduced to the test's inputs: each evidence's log-likelihood-ratio increment (absent: no
 * information); a fail evidence with a mixture gets one increment per component.
 */
export interface TestInterval {
  canaryRequests: number;
  fail: Partial<Record<FailSide, number | readonly number[]>>;
  pass: Partial<Record<PassSide, number>>;
}

export interface SequentialTestOptions {
  /** The fail side's budget (the metric's alpha less what the pod-spread bound keeps). */
  alpha: number;
  /** The chance of passing a canary that has the regression to detect. */
  beta: number;
  /** Canary requests before any pass. */
  minExposure: number;
  /** The fail evidences that must all reject. */
  failSides: readonly FailSide[];
  /** Mixture weights of a fail evidence's components (default: one component). */
  mixtures?: Partial<Record<FailSide, readonly number[]>>;
}

/** The share of alpha the first epoch (before any pass) may spend. */
export const FIRST_EPOCH_WEIGHT = 0.95;

/** The share of alpha epoch k (1-based) may spend. */
export function epochWeight(k: number): number {
  return k === 1 ? FIRST_EPOCH_WEIGHT : (1 - FIRST_EPOCH_WEIGHT) / (k * (k - 1));
}

/** The fail boundary of epoch k: ln(1 / (α·w_k)). */
export function failBoundary(alpha: number, k: number): number {
  return Math.log(1 / (alpha * epochWeight(k)));
}

const sides = <T extends string, V extends z.ZodType>(names: readonly T[], value: V) =>
  z.object(Object.fromEntries(names.map((n) => [n, value.optional()])) as Record<T, z.ZodOptional<V>>);

/** Everything the test has learnt, as stored in a judge's carry (numbers only: exact in JSON). */
export const testStateSchema = z.object({
  exposure: z.number(),
  epoch: z.number().int().min(1),
  failLlr: sides(FAIL_SIDES, z.array(z.number())),
  rejected: z.array(z.enum(FAIL_SIDES)),
  passLlr: sides(PASS_SIDES, z.number()),
  failed: z.boolean(),
  failedAtExposure: z.number().optional(),
  passedOnce: z.boolean(),
});
export type TestState = z.infer<typeof testStateSchema>;

/** The fail/pass state of one metric, fed window by window. */
export class SequentialTest {
  exposure = 0;
  epoch = 1;
  /** The current epoch's log likelihood ratios, per fail evidence and mixture component. */
  failLlr: Partial<Record<FailSide, number[]>> = {};
  /** Fail evidences over the boundary in the current epoch. */
  rejected = new Set<FailSide>();
  /** Log e-values of the pass evidences over the whole history. */
  passLlr: Partial<Record<PassSide, number>> = {};
  failed = false;
  failedAtExposure?: number;
  passedOnce = false;
  readonly passBoundary: number;

  constructor(
    readonly opts: SequentialTestOptions,
    from?: TestState,
  ) {
    this.passBoundary = Math.log(1 / opts.beta);
    if (from) {
      const failLlr = Object.fromEntries(Object.entries(from.failLlr).map(([k, v]) => [k, [...(v ?? [])]]));
      Object.assign(this, { ...from, failLlr, passLlr: { ...from.passLlr } });
      this.rejected = new Set(from.rejected);
    }
  }

  /** The state to resume from: `new SequentialTest(opts, t.state())` goes on exactly as `t` would. */
  state(): TestState {
    const { exposure, epoch, failed, failedAtExposure, passedOnce } = this;
    return {
      exposure,
      epoch,
      failLlr: Object.fromEntries(Object.entries(this.failLlr).map(([k, v]) => [k, [...(v ?? [])]])),
      rejected: [...this.rejected],
      passLlr: { ...this.passLlr },
      failed,
      passedOnce,
      ...(failedAtExposure !== undefined ? { failedAtExposure } : {}),
    };
  }

  /** The current epoch's fail boundary. */
  get failBoundary(): number {
    return failBoundary(this.opts.alpha, this.epoch);
  }

  /** A fail evidence's log e-value: ln Σ w_i·exp(L_i) over its components (0 before any data). */
  failValue(side: FailSide): number {
    const llrs = this.failLlr[side];
    if (!llrs || llrs.length === 0) return 0;
    if (llrs.length === 1) return llrs[0];
    const weights = this.opts.mixtures?.[side] ?? [];
    let top = -Infinity;
    for (let i = 0; i < llrs.length; i++) top = Math.max(top, llrs[i] + Math.log(weights[i] ?? 0));
    let sum = 0;
    for (let i = 0; i < llrs.length; i++) sum += (weights[i] ?? 0) * Math.exp(llrs[i] - top);
    return top + Math.log(sum);
  }

  /** The fail evidence furthest from its boundary (the one a fail waits for), and its log e-value. */
  get weakestFail(): { side: FailSide; llr: number } {
    const open = this.opts.failSides.filter((s) => !this.rejected.has(s));
    const pick = (open.length ? open : this.opts.failSides).map((side) => ({ side, llr: this.failValue(side) }));
    return pick.reduce((a, b) => (b.llr < a.llr ? b : a));
  }

  /** The pass evidence nearest its boundary, and its log e-value. */
  get strongestPass(): { side: PassSide; llr: number } {
    const all = PASS_SIDES.map((side) => ({ side, llr: this.passLlr[side] ?? 0 }));
    return all.reduce((a, b) => (b.llr > a.llr ? b : a));
  }

  /** Whether the pass side holds now (a fail overrides it; the caller checks `failed` first). */
  get passing(): boolean {
    return this.exposure >= this.opts.minExposure && this.strongestPass.llr >= this.passBoundary;
  }

  add(iv: TestInterval): void {
    this.exposure += iv.canaryRequests;
    if (this.failed) return;
    for (const side of this.opts.failSides) {
      const x = iv.fail[side];
      if (x === undefined) continue;
      const parts = typeof x === 'number' ? [x] : x;
      const was = this.failLlr[side] ?? parts.map(() => 0);
      this.failLlr[side] = was.map((l, i) => l + (parts[i] ?? 0));
      if (this.failValue(side) >= this.failBoundary) this.rejected.add(side);
    }
    for (const side of PASS_SIDES) {
      const x = iv.pass[side];
      if (x !== undefined) this.passLlr[side] = (this.passLlr[side] ?? 0) + x;
    }
    if (this.opts.failSides.every((s) => this.rejected.has(s))) {
      this.failed = true;
      this.failedAtExposure = this.exposure;
      return;
    }
    if (this.passing) this.passedOnce = true;
    const drifted = this.opts.failSides.every((s) => this.rejected.has(s) || this.failValue(s) <= -this.passBoundary);
    if (this.passedOnce && drifted) this.restart();
  }

  private restart(): void {
    this.epoch++;
    this.failLlr = {};
    this.rejected = new Set();
  }
}
