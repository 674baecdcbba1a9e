/**
 * The judgement benchmark's scenarios: a cluster as Prometheus sees it. Each version runs some pods;
 * each pod is scraped every `scrapeS` seconds at its own phase; Ramp looks every 5 s and cuts aligned
 * windows (a window closes once every pod has been scraped since the last one, as analysis/counters.ts
 * does). Pods of one version may differ (a multiplier per pod, log-normal with mean 1 and the given
 * coefficient of variation), and rates may move over time: bursts per minute (gamma multipliers with
 * mean 1), common to both versions or drawn per version. Before the analysis the stable ran alone for
 * an hour (the judge's baseline).
 *
 * The base case: 6,000 requests/min, stable error rate 1%, the canary at a 10% share on 1 pod beside 9
 * stable pods, scraped every 5 s, alpha 0.01, `maxRatio: 1.5` (detectRatio 2 by default, maxIncrease
 * 0.1%, detectIncrease 1%), at most 60 min of analysis.
 */
import type { LatencyModel } from './traffic';

export const LOOK_S = 5;
export const P0 = 0.01;
export const SHARE = 0.1;
export const ALPHA = 0.01;
export const HORIZON_MIN = 60;
export const HISTORY_MIN = 60;
export const MAX_RATIO = 1.5;
export const DETECT_RATIO = 2;
export const MAX_INCREASE = 0.001;
export const DETECT_INCREASE = 0.01;

/** The demo app's histogram buckets (seconds). */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Stable latency: median 45 ms, lognormal shape 0.6 (p99 ≈ 180 ms). */
export const STABLE_LATENCY: LatencyModel = [{ weight: 1, median: 0.045, sigma: 0.6 }];

export interface ErrorMetric {
  kind: 'errors';
  maxRatio: number;
}

export interface LatencyMetric {
  kind: 'latency';
  quantile: number;
  maxRatio: number;
}

/** What a rollback of this canary is: a false rollback, a detection, or either (the indifference zone). */
export type Truth = 'tolerated' | 'regression' | 'between';

export interface Bursts {
  /** `common`: one multiplier per minute for both versions; `perVersion`: one each. */
  kind: 'common' | 'perVersion';
  cv: number;
}

export interface Scenario {
  name: string;
  /** The table it is shown in. */
  group: string;
  description: string;
  /** Requests per minute to the service, both versions together. */
  rpm: number;
  metric: ErrorMetric | LatencyMetric;
  /** Canary share of requests at minute t (t < 0: before the analysis, the stable alone). */
  share(t: number): number;
  stableErrorRate(t: number): number;
  canaryErrorRate(t: number): number;
  canaryLatency: LatencyModel;
  /** The version-level truth, which decides whether a rollback is right. */
  truth: Truth;
  /** The true ratio of the canary version's error rate (or latency scale) to the stable's, for the curve. */
  ratio: number;
  pods: { stable: number; canary: number; cv: number };
  scrapeS: number;
  bursts?: Bursts;
}

const errors: ErrorMetric = { kind: 'errors', maxRatio: MAX_RATIO };

/** Whether a canary at `canary` against `stable` (error rates) is tolerated, a regression to detect, or between. */
export function errorTruth(stable: number, canary: number): Truth {
  if (canary <= Math.max(MAX_RATIO * stable, stable + MAX_INCREASE) + 1e-12) return 'tolerated';
  if (canary >= Math.max(DETECT_RATIO * stable, stable + DETECT_INCREASE) - 1e-12) return 'regression';
  return 'between';
}

interface ErrorOptions {
  rpm?: number;
  p0?: number;
  canaryRate?: number;
  pods?: Scenario['pods'];
  scrapeS?: number;
  bursts?: Bursts;
  share?: (t: number) => number;
  stableErrorRate?: (t: number) => number;
  canaryErrorRate?: (t: number) => number;
}

function errorScenario(
  group: string,
  name: string,
  description: string,
  ratio: number,
  o: ErrorOptions = {},
): Scenario {
  const p0 = o.p0 ?? P0;
  const canary = o.canaryRate ?? p0 * ratio;
  return {
    name,
    group,
    description,
    rpm: o.rpm ?? 6000,
    metric: errors,
    share: o.share ?? (() => SHARE),
    stableErrorRate: o.stableErrorRate ?? (() => p0),
    canaryErrorRate: o.canaryErrorRate ?? (() => canary),
    canaryLatency: STABLE_LATENCY,
    truth: errorTruth(p0, canary),
    ratio: p0 > 0 ? canary / p0 : Infinity,
    pods: o.pods ?? { stable: 9, canary: 1, cv: 0 },
    scrapeS: o.scrapeS ?? 5,
    ...(o.bursts ? { bursts: o.bursts } : {}),
  };
}

function latencyScenario(
  name: string,
  description: string,
  metric: LatencyMetric,
  canaryLatency: LatencyModel,
  truth: Truth,
  ratio: number,
): Scenario {
  return {
    name,
    group: 'latency',
    description,
    rpm: 6000,
    metric,
    share: () => SHARE,
    stableErrorRate: () => P0,
    canaryErrorRate: () => P0,
    canaryLatency,
    truth,
    ratio,
    pods: { stable: 1, canary: 1, cv: 0 },
    scrapeS: 5,
  };
}

/** A spike: both versions at 10× their error rate from minute 1 to minute 3. */
const spike = (t: number) => (t >= 1 && t < 3 ? 10 * P0 : P0);

/** The canary share ramping 5% → 10% → 25% → 50%, two minutes per step. */
const ramp = (t: number) => (t < 2 ? 0.05 : t < 4 ? 0.1 : t < 6 ? 0.25 : 0.5);

const scaled = (k: number): LatencyModel => [{ weight: 1, median: 0.045 * k, sigma: 0.6 }];
const p99: LatencyMetric = { kind: 'latency', quantile: 0.99, maxRatio: 1.2 };
const p50: LatencyMetric = { kind: 'latency', quantile: 0.5, maxRatio: 1.2 };

/** The true ratios of the rollback-probability curve (maxRatio 1.5). */
export const SWEEP = [1, 1.2, 1.3, 1.5, 2, 3, 5];
const r = (x: number) => `r${x.toFixed(1)}`;

export const SCENARIOS: Scenario[] = [
  ...SWEEP.map((x) => errorScenario('ratios', r(x), `canary error rate ${x}× stable's`, x)),
  ...[15, 30, 60].flatMap((s) =>
    [1, 1.5, 2, 5].map((x) =>
      errorScenario('scrapes', `scrape${s}s-${r(x)}`, `scraped every ${s} s (per-pod phases), ${x}×`, x, {
        scrapeS: s,
      }),
    ),
  ),
  ...[0.25, 0.5].flatMap((cv) =>
    [1, 2].flatMap((c) =>
      [1, 1.5, 2, 5].map((x) =>
        errorScenario('pods', `spread${cv}-c${c}-${r(x)}`, `pods differ (CV ${cv}), ${c} canary pod(s), ${x}×`, x, {
          pods: { stable: 9, canary: c, cv },
        }),
      ),
    ),
  ),
  ...(
    [
      ['common', 1],
      ['perVersion', 0.5],
      ['perVersion', 1],
    ] as const
  ).flatMap(([kind, cv]) =>
    [1, 1.5, 2].map((x) =>
      errorScenario(
        'bursts',
        `burst-${kind}${cv}-${r(x)}`,
        `bursts per minute ${kind === 'common' ? 'common to both' : 'per version'}, CV ${cv}, ${x}×`,
        x,
        {
          bursts: { kind, cv },
        },
      ),
    ),
  ),
  errorScenario('bursts', 'spike', 'identical; both at 10× errors from minute 1 to 3', 1, {
    stableErrorRate: spike,
    canaryErrorRate: spike,
  }),
  errorScenario('bursts', 'ramp', 'identical; canary share 5% → 10% → 25% → 50%, 2 min each', 1, { share: ramp }),
  errorScenario('rare', 'p0-0-identical', 'no errors in either, 600 req/min', 1, { rpm: 600, p0: 0, canaryRate: 0 }),
  errorScenario('rare', 'p0-0.1%-identical', 'both at 0.1% errors, 600 req/min', 1, { rpm: 600, p0: 0.001 }),
  errorScenario(
    'rare',
    'p0-0.1%-margin',
    'stable 0.1%, canary 0.19% (1.9×, within the 0.1% margin), 600 req/min',
    1.9,
    {
      rpm: 600,
      p0: 0.001,
    },
  ),
  errorScenario('rare', 'p0-0-canary1.5%', 'stable no errors, canary 1.5%, 600 req/min', Infinity, {
    rpm: 600,
    p0: 0,
    canaryRate: 0.015,
  }),
  errorScenario('rare', 'p0-0.1%-canary1.5%', 'stable 0.1%, canary 1.5% (15×), 600 req/min', 15, {
    rpm: 600,
    p0: 0.001,
  }),
  errorScenario('rare', 'rpm60-identical', 'identical, 60 req/min', 1, { rpm: 60 }),
  errorScenario('rare', 'rpm60-r5.0', 'canary 5×, 60 req/min', 5, { rpm: 60 }),
  errorScenario('rare', 'rpm5-identical', 'identical, 5 req/min (scraped every 30 s)', 1, { rpm: 5, scrapeS: 30 }),
  errorScenario(
    'combined',
    'real-identical',
    '60 s scrapes, pods differ (CV 0.25), per-version bursts (CV 0.5), identical',
    1,
    {
      scrapeS: 60,
      pods: { stable: 9, canary: 1, cv: 0.25 },
      bursts: { kind: 'perVersion', cv: 0.5 },
    },
  ),
  errorScenario(
    'combined',
    'real-r1.5',
    '60 s scrapes, pods differ (CV 0.25), per-version bursts (CV 0.5), 1.5×',
    1.5,
    {
      scrapeS: 60,
      pods: { stable: 9, canary: 1, cv: 0.25 },
      bursts: { kind: 'perVersion', cv: 0.5 },
    },
  ),
  errorScenario('combined', 'real-r5.0', '60 s scrapes, pods differ (CV 0.25), per-version bursts (CV 0.5), 5×', 5, {
    scrapeS: 60,
    pods: { stable: 9, canary: 1, cv: 0.25 },
    bursts: { kind: 'perVersion', cv: 0.5 },
  }),
  latencyScenario('latency-identical-p99', 'identical latency; p99, max 1.2×', p99, STABLE_LATENCY, 'tolerated', 1),
  latencyScenario('latency-identical-p50', 'identical latency; p50, max 1.2×', p50, STABLE_LATENCY, 'tolerated', 1),
  latencyScenario(
    'latency-p50+10%',
    'canary 10% slower across the board; p50, max 1.2×',
    p50,
    scaled(1.1),
    'tolerated',
    1.1,
  ),
  latencyScenario(
    'latency-p50+20%',
    'canary 20% slower across the board; p50, max 1.2×',
    p50,
    scaled(1.2),
    'tolerated',
    1.2,
  ),
  latencyScenario(
    'latency-p50+60%',
    'canary 60% slower (detectRatio 1.6); p50, max 1.2×',
    p50,
    scaled(1.6),
    'regression',
    1.6,
  ),
  latencyScenario(
    'latency-p99-tail',
    '2% of canary requests 5× slower (p99 ≈ 1.4×); p99, max 1.2×',
    p99,
    [
      { weight: 0.98, median: 0.045, sigma: 0.6 },
      { weight: 0.02, median: 0.045 * 5, sigma: 0.6 },
    ],
    'between',
    1.4,
  ),
  latencyScenario('latency-p99+100%', 'canary 2× slower; p99, max 1.2×', p99, scaled(2), 'regression', 2),
];
