/**
 * What the error and latency streams share: a sequential test of the ratio of the canary's event rate to
 * the stable's (errors, or requests slower than a bound), conditioned on the events of each window —
 * under a ratio q an event of a window is the canary's with probability π(q) = s·q / (s·q + 1 − s), s the
 * canary's share of the window's requests, so whatever both versions' common rate did (a spike, a quiet
 * night) cancels out (stats/conditionalRatio.ts) — made robust to what the plain test assumes away:
 *
 * - **pods that differ**: the fail side tests "deployed ratio ≤ tolerance × K_α", K_α the pod-spread bound
 *   at level α·(1 − TEST_ALPHA_SHARE) (stats/podSpread.ts): a canary within tolerance is rolled back only
 *   if its pods are worse than the version by more than K_α (that chance) or the test errs (the rest).
 *   The spread is estimated from the stable's pods only, under the assumption that pods of both versions
 *   differ alike: the canary's own pods differing is not luck to allow for but a regression of some;
 * - **rates that move apart over time** (bursts in one version, misaligned windows): each window's
 *   log-likelihood ratio is divided by the dispersion φ (stats/dispersion.ts);
 * - **alternatives that follow the data**: each side's alternative is a plug-in estimate from the windows
 *   before (never below the regression to detect), which keeps each evidence a test supermartingale under
 *   its null and catches a 5× regression about as fast as a test built for 5× would.
 *
 * K, φ and the plug-ins are refreshed once per bin (≥ BIN_MS of windows), from data before the window
 * they are used on. Pure.
 */
import { z } from 'zod';
import {
  bernoulliLogLikelihoodRatio,
  compactIntervals,
  intervalLogLikelihoodRatio,
  type EventCounts,
} from '../stats/conditionalRatio';
import {
  addBin,
  addResidual,
  binDispersion,
  residualStatistic,
  type ResidualGroup,
  canaryOwnDispersion,
  dispersionEstimate,
  predictedDispersion,
  EMPTY_BIN_STATS,
  type BinStats,
} from '../stats/dispersion';
import { concentration, estimateSpread, spreadFactor, type PodEvents } from '../stats/podSpread';
import { SequentialTest, testStateSchema, type FailSide, type TestInterval } from './sequentialTest';
import { MAX_ALTERNATIVE, MIN_SEPARATION, TEST_ALPHA_SHARE, type SequentialSettings } from './sequentialSettings';

/** One window of events, per version and per pod. */
export interface EventWindow {
  canaryRequests: number;
  canaryEvents: number;
  stableRequests: number;
  stableEvents: number;
  /** The traffic split moved inside the window: the share does not say where events fell. */
  shifted: boolean;
  /** Where the window lies (ms); bins are cut from these (a window without an end feeds no bin). */
  from?: number;
  to?: number;
}

/** Dispersion and plug-ins are refreshed once per bin of windows at least this long. */
export const BIN_MS = 60_000;

/**
 * The fail ratio evidence's mixture: most weight on the regression to detect (the fixed alternative
 * detectRatio/maxRatio × the null), some on the ratio the data show (a plug-in, at least that). At 2× the
 * mixture costs ln(1/0.9) ≈ 0.1 nats; at 5× the plug-in component rolls back with about half the errors.
 */
export const RATIO_MIXTURE = [0.9, 0.1] as const;

/** Pseudo-events toward "no regression" in the plug-in ratio (keeps an early window from swinging it). */
const PSEUDO_EVENTS = 3;

const podEventsSchema = z.object({ requests: z.number(), events: z.number() });
const totalsSchema = z.object({
  canaryRequests: z.number(),
  canaryEvents: z.number(),
  stableRequests: z.number(),
  stableEvents: z.number(),
});
export type Totals = z.infer<typeof totalsSchema>;
const ZERO: Totals = { canaryRequests: 0, canaryEvents: 0, stableRequests: 0, stableEvents: 0 };

/** What the streams compute once per bin and use on every window of the next (all shown in the evidence). */
export const factorsSchema = z.object({
  /** The pod-spread bound the fail side allows for (K_α), and the one the pass side (K_β). */
  spreadFail: z.number(),
  spreadPass: z.number(),
  spreadCv: z.number(),
  spreadDf: z.number(),
  /** The dispersion the ratio test divides by, and the canary-alone tests. */
  dispersion: z.number(),
  canaryDispersion: z.number(),
  stableDispersion: z.number(),
  /** The plug-in ratio of the canary's event rate to the stable's. */
  ratio: z.number(),
});
export type Factors = z.infer<typeof factorsSchema>;

export const streamStateSchema = z.object({
  test: testStateSchema,
  /** Every window; and those where both versions served and the split held (the ratio's windows). */
  all: totalsSchema,
  paired: totalsSchema,
  pods: z.object({
    canary: z.record(z.string(), podEventsSchema),
    stable: z.record(z.string(), podEventsSchema),
  }),
  stableBins: z.object({ sumK2OverN: z.number(), sumK: z.number(), sumN: z.number(), bins: z.number() }),
  residuals: z.array(
    z.object({ share: z.number(), sumKc2OverK: z.number(), sumKc: z.number(), sumK: z.number(), bins: z.number() }),
  ),
  bin: totalsSchema.extend({ from: z.number() }).optional(),
  factors: factorsSchema,
  intervals: z.array(z.object({ share: z.number(), canaryEvents: z.number(), stableEvents: z.number() })),
});
export type StreamState = z.infer<typeof streamStateSchema>;

const INITIAL_FACTORS: Factors = {
  spreadFail: 1,
  spreadPass: 1,
  spreadCv: 0,
  spreadDf: 0,
  dispersion: 1,
  canaryDispersion: 1,
  stableDispersion: 1,
  ratio: 1,
};

/** ln L(alternative) − ln L(null) of a window's events conditioned on their total, at share s. */
function conditionalLlr(share: number, alternative: number, nul: number, canaryEvents: number, stableEvents: number) {
  return (
    intervalLogLikelihoodRatio(share, alternative, canaryEvents, stableEvents) -
    intervalLogLikelihoodRatio(share, nul, canaryEvents, stableEvents)
  );
}

/** Adds a window's counts into `into` (in place: this runs millions of times in the benchmark). */
function add<T extends Totals>(into: T, w: EventWindow): T {
  into.canaryRequests += w.canaryRequests;
  into.canaryEvents += w.canaryEvents;
  into.stableRequests += w.stableRequests;
  into.stableEvents += w.stableEvents;
  return into;
}

const copyPods = (pods: Record<string, PodEvents>) =>
  Object.fromEntries(Object.entries(pods).map(([k, v]) => [k, { ...v }]));

/** The ratio-of-rates test with its robustness; subclasses say what the events are and add their own evidences. */
export abstract class ConditionalStream {
  readonly test: SequentialTest;
  all: Totals = { ...ZERO };
  paired: Totals = { ...ZERO };
  pods: { canary: Record<string, PodEvents>; stable: Record<string, PodEvents> } = { canary: {}, stable: {} };
  stableBins: BinStats = { ...EMPTY_BIN_STATS };
  residuals: ResidualGroup[] = [];
  bin?: Totals & { from: number };
  factors: Factors = { ...INITIAL_FACTORS };
  /** Informative windows (share, events), for the estimate and bounds shown (kept only when asked). */
  readonly intervals: EventCounts[] = [];

  constructor(
    readonly settings: SequentialSettings,
    failSides: readonly FailSide[],
    protected readonly keepIntervals: boolean,
    from?: StreamState,
  ) {
    this.test = new SequentialTest(
      {
        alpha: settings.alpha * TEST_ALPHA_SHARE,
        beta: settings.beta,
        minExposure: settings.minExposure,
        failSides,
        mixtures: { ratio: RATIO_MIXTURE },
      },
      from?.test,
    );
    if (from) {
      this.all = { ...from.all };
      this.paired = { ...from.paired };
      this.pods = { canary: copyPods(from.pods.canary), stable: copyPods(from.pods.stable) };
      this.stableBins = { ...from.stableBins };
      this.residuals = from.residuals.map((g) => ({ ...g }));
      this.bin = from.bin ? { ...from.bin } : undefined;
      this.factors = { ...from.factors };
      this.intervals.push(...from.intervals);
    }
  }

  protected streamState(): StreamState {
    return {
      test: this.test.state(),
      all: { ...this.all },
      paired: { ...this.paired },
      pods: { canary: copyPods(this.pods.canary), stable: copyPods(this.pods.stable) },
      stableBins: { ...this.stableBins },
      residuals: this.residuals.map((g) => ({ ...g })),
      ...(this.bin ? { bin: { ...this.bin } } : {}),
      factors: { ...this.factors },
      intervals: compactIntervals(this.intervals),
    };
  }

  /** The tolerated and the to-detect ratio of event rates, for the window about to be added (≥ 1, detect > tolerance). */
  protected abstract ratios(): { tolerance: number; detect: number } | undefined;

  /** The pods the spread is estimated from (with their recent past), per version. */
  protected abstract spreadPods(): { canary: PodEvents[]; stable: PodEvents[] };

  /** The subclass's canary-alone evidences for a window (fail `increase`, pass `absolute`). */
  protected abstract canaryAlone(w: EventWindow): Pick<TestInterval, 'fail' | 'pass'>;

  /** The false-rollback budget the pod-spread bound may spend. */
  get spreadAlpha(): number {
    return this.settings.alpha * (1 - TEST_ALPHA_SHARE);
  }

  /** The window's fail and pass evidences of the ratio (absent when it says nothing about the ratio). */
  private ratioEvidence(w: EventWindow): Pick<TestInterval, 'fail' | 'pass'> {
    const r = this.ratios();
    const events = w.canaryEvents + w.stableEvents;
    if (!r || w.shifted || w.canaryRequests <= 0 || w.stableRequests <= 0 || events <= 0) return { fail: {}, pass: {} };
    const f = this.factors;
    const share = w.canaryRequests / (w.canaryRequests + w.stableRequests);
    const nul = r.tolerance * f.spreadFail;
    const fixed = nul * (r.detect / r.tolerance);
    const plugIn = Math.max(fixed, Math.min(f.ratio, MAX_ALTERNATIVE * nul));
    if (this.keepIntervals) this.intervals.push({ share, canaryEvents: w.canaryEvents, stableEvents: w.stableEvents });
    const fail = [fixed, plugIn].map(
      (alternative) => conditionalLlr(share, alternative, nul, w.canaryEvents, w.stableEvents) / f.dispersion,
    );
    const detect = r.detect / f.spreadPass;
    const good = Math.min(f.ratio, detect / MIN_SEPARATION);
    if (!(good > 0 && good < detect)) return { fail: { ratio: fail }, pass: {} };
    const pass = conditionalLlr(share, good, detect, w.canaryEvents, w.stableEvents) / f.dispersion;
    return { fail: { ratio: fail }, pass: { ratio: pass } };
  }

  /** Feeds one window: its evidences from the factors of the bins before it, then the bookkeeping. */
  protected observe(w: EventWindow): void {
    const ratio = this.ratioEvidence(w);
    const alone = this.canaryAlone(w);
    this.test.add({
      canaryRequests: w.canaryRequests,
      fail: { ...ratio.fail, ...alone.fail },
      pass: { ...ratio.pass, ...alone.pass },
    });
    add(this.all, w);
    const informative = !w.shifted && w.canaryRequests > 0 && w.stableRequests > 0;
    if (informative) add(this.paired, w);
    this.binWindow(w, informative);
  }

  /** Counts one pod's part of a window (subclasses call it for each pod the measurement names). */
  protected addPod(role: 'canary' | 'stable', pod: string, requests: number, events: number): void {
    const was = this.pods[role][pod];
    if (was) {
      was.requests += requests;
      was.events += events;
    } else this.pods[role][pod] = { requests, events };
  }

  /** Adds the window to the open bin; a bin of BIN_MS closes, feeds the dispersion and refreshes the factors. */
  private binWindow(w: EventWindow, informative: boolean): void {
    // Until the first bin closes, the factors follow every window (the plug-ins have little to go on).
    if (this.residuals.length === 0) this.refresh();
    if (w.to === undefined) return;
    if (!informative) {
      // A window across a traffic change breaks the bin: its share is not the bin's.
      this.bin = undefined;
      return;
    }
    const bin = add(this.bin ?? { ...ZERO, from: w.from ?? w.to - BIN_MS / 12 }, w);
    if (w.to - bin.from < BIN_MS) {
      this.bin = bin;
      return;
    }
    this.bin = undefined;
    this.stableBins = addBin(this.stableBins, bin.stableRequests, bin.stableEvents);
    const share = bin.canaryRequests / (bin.canaryRequests + bin.stableRequests);
    this.residuals = addResidual(this.residuals, share, bin.canaryEvents, bin.canaryEvents + bin.stableEvents);
    this.refresh();
  }

  /** Recomputes the factors from everything so far (called once per bin, and after the baseline). */
  protected refresh(): void {
    const pods = this.spreadPods();
    // The spread is the stable's pods' (with their recent past) alone. The allowance rests on pods
    // differing alike in both versions; a canary whose own pods differ more than the stable's is what a
    // regression on some of its pods looks like, and counting that difference as luck excused it: with
    // two canary pods, one failing 30% and one none, one degree of freedom gave a bound of 1e64 and the
    // demo's 15% against 0% was never rolled back.
    const spread = estimateSpread([pods.stable]);
    const h = (ps: PodEvents[]) => concentration(ps.map((p) => p.requests));
    const hc = h(Object.values(this.pods.canary));
    const hs = h(Object.keys(this.pods.stable).length ? Object.values(this.pods.stable) : pods.stable);
    const stableDispersion = binDispersion(this.stableBins);
    const ce = this.paired.canaryEvents + 1;
    const se = this.paired.stableEvents + 1;
    const p = this.paired;
    const ratio =
      p.canaryRequests > 0 && p.stableRequests > 0
        ? (p.canaryEvents + PSEUDO_EVENTS) / p.canaryRequests / ((p.stableEvents + PSEUDO_EVENTS) / p.stableRequests)
        : 1;
    const robust = this.settings.robust !== false;
    // The residuals of the bins so far around the ratio they show (not the plug-in, which leans to 1);
    // with no events on one side there is no ratio to scatter around, and nothing to say.
    const residuals =
      p.canaryEvents > 0 && p.stableEvents > 0
        ? residualStatistic(this.residuals, p.canaryEvents / p.canaryRequests / (p.stableEvents / p.stableRequests))
        : { sum: 0, df: 0 };
    this.factors = {
      spreadFail: robust ? spreadFactor(spread, hc, hs, this.spreadAlpha) : 1,
      spreadPass: robust ? spreadFactor(spread, hc, hs, this.settings.beta) : 1,
      spreadCv: Math.sqrt(spread.tau2),
      spreadDf: spread.df,
      dispersion: robust ? dispersionEstimate(predictedDispersion(stableDispersion, ce, se), residuals) : 1,
      canaryDispersion: robust ? canaryOwnDispersion(stableDispersion, ce, se) : 1,
      stableDispersion,
      ratio,
    };
  }

  /** The canary's own rate so far, pulled toward `prior` by `weight` requests (a plug-in for canary-alone tests). */
  protected canaryRate(prior: number, weight: number): number {
    return (this.all.canaryEvents + prior * weight) / (this.all.canaryRequests + weight);
  }

  /** Canary-alone Bernoulli evidence of rate `alternative` against `nul`, tempered by the canary's dispersion. */
  protected bernoulli(w: EventWindow, alternative: number, nul: number): number {
    return (
      bernoulliLogLikelihoodRatio(w.canaryRequests, w.canaryEvents, alternative, nul) / this.factors.canaryDispersion
    );
  }

  /** The stable's event rate (what an identical canary's rate would be); for the outlook. */
  protected abstract identicalRate(): number;

  /** The canary rate the `absolute` pass evidence rejects, if it applies now. */
  protected abstract absoluteDetect(): number | undefined;

  /**
   * The pass evidences' expected gain per canary request if the versions are identical (the larger of
   * the two: ratio, absolute), tempered as the test tempers it. 0 when nothing would move them.
   */
  identicalDrift(): number {
    const p = this.identicalRate();
    const bern = (a: number, b: number) =>
      (a > 0 ? a * Math.log(a / b) : 0) + (a < 1 ? (1 - a) * Math.log((1 - a) / (1 - b)) : 0);
    let best = 0;
    const abs = this.absoluteDetect();
    if (abs !== undefined && p < abs / MIN_SEPARATION) best = bern(p, abs) / this.factors.canaryDispersion;
    const r = this.ratios();
    const total = this.paired.canaryRequests + this.paired.stableRequests;
    const share = total > 0 ? this.paired.canaryRequests / total : 0.1;
    if (r && p > 0 && share > 0 && share < 1) {
      const detect = r.detect / this.factors.spreadPass;
      const pi = (share * detect) / (share * detect + 1 - share);
      if (detect > MIN_SEPARATION) best = Math.max(best, ((p / share) * bern(share, pi)) / this.factors.dispersion);
    }
    return best;
  }

  get decision(): 'fail' | 'pass' | 'continue' {
    if (this.test.failed) return 'fail';
    return this.test.passing ? 'pass' : 'continue';
  }
}
