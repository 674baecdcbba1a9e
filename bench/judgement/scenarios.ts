/**
 * The judgement benchmark's scenarios: what the canary and stable do minute by minute. The base case is
 * the issue's: a 1% error rate, the canary at a 10% share, alpha 0.01, judged every 5 s (the engine's
 * default interval), a rollout that analyses for at most an hour.
 */
import type { LatencyModel } from './traffic';

export const INTERVAL_S = 5;
export const P0 = 0.01;
export const SHARE = 0.1;
export const ALPHA = 0.01;
export const HORIZON_MIN = 60;
/** The error regression the judges are set to find: maxRatio of the errorRate metric. */
export const ERROR_MAX_RATIO = 2;

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

export interface Scenario {
  name: string;
  description: string;
  /** Requests per minute to the service, both versions together. */
  rpm: number;
  metric: ErrorMetric | LatencyMetric;
  /** Canary share of requests at minute t. */
  share(t: number): number;
  stableErrorRate(t: number): number;
  canaryErrorRate(t: number): number;
  canaryLatency: LatencyModel;
  /** Whether the canary is worse than stable at all (so a rollback is right). */
  regression: boolean;
}

const errors: ErrorMetric = { kind: 'errors', maxRatio: ERROR_MAX_RATIO };
const p99: LatencyMetric = { kind: 'latency', quantile: 0.99, maxRatio: 1.2 };
const p50: LatencyMetric = { kind: 'latency', quantile: 0.5, maxRatio: 1.1 };

function errorScenario(
  name: string,
  description: string,
  rpm: number,
  ratio: number,
  extra: Partial<Scenario> = {},
): Scenario {
  return {
    name,
    description,
    rpm,
    metric: errors,
    share: () => SHARE,
    stableErrorRate: () => P0,
    canaryErrorRate: () => P0 * ratio,
    canaryLatency: STABLE_LATENCY,
    regression: ratio > 1,
    ...extra,
  };
}

function latencyScenario(
  name: string,
  description: string,
  metric: LatencyMetric,
  canaryLatency: LatencyModel,
  regression: boolean,
): Scenario {
  return {
    name,
    description,
    rpm: 6000,
    metric,
    share: () => SHARE,
    stableErrorRate: () => P0,
    canaryErrorRate: () => P0,
    canaryLatency,
    regression,
  };
}

/** A spike: both versions at 10× their error rate from minute 1 to minute 3. */
const spike = (t: number) => (t >= 1 && t < 3 ? 10 * P0 : P0);

/** The canary share ramping 5% → 10% → 25% → 50%, two minutes per step. */
const ramp = (t: number) => (t < 2 ? 0.05 : t < 4 ? 0.1 : t < 6 ? 0.25 : 0.5);

export const SCENARIOS: Scenario[] = [
  errorScenario('identical', 'identical versions, 6,000 req/min', 6000, 1),
  errorScenario('1.2x', 'canary error rate 1.2× stable', 6000, 1.2),
  errorScenario('1.5x', 'canary error rate 1.5× stable', 6000, 1.5),
  errorScenario('2x', 'canary error rate 2× stable (the regression the judges are set for)', 6000, 2),
  errorScenario('5x', 'canary error rate 5× stable', 6000, 5),
  errorScenario('spike', 'identical versions; both at 10× errors from minute 1 to 3', 6000, 1, {
    stableErrorRate: spike,
    canaryErrorRate: spike,
  }),
  errorScenario('ramp', 'identical versions; canary share 5% → 10% → 25% → 50%, 2 min each', 6000, 1, { share: ramp }),
  errorScenario('identical-60rpm', 'identical versions, 60 req/min', 60, 1),
  errorScenario('2x-60rpm', 'canary error rate 2× stable, 60 req/min', 60, 2),
  latencyScenario('latency-identical-p99', 'identical latency; judged on p99 (max 1.2×)', p99, STABLE_LATENCY, false),
  latencyScenario(
    'latency-identical-p50',
    'identical latency; judged on the median (max 1.1×)',
    p50,
    STABLE_LATENCY,
    false,
  ),
  latencyScenario(
    'latency-median+10%',
    'canary 10% slower across the board; judged on the median (max 1.1×)',
    p50,
    [{ weight: 1, median: 0.045 * 1.1, sigma: 0.6 }],
    true,
  ),
  latencyScenario(
    'latency-tail',
    '2% of canary requests 5× slower (p99 ≈ 1.4×); judged on p99 (max 1.2×)',
    p99,
    [
      { weight: 0.98, median: 0.045, sigma: 0.6 },
      { weight: 0.02, median: 0.045 * 5, sigma: 0.6 },
    ],
    true,
  ),
  latencyScenario(
    'latency-variance',
    'canary latency spread 0.6 → 0.75, same median (p99 ≈ 1.4×); judged on p99 (max 1.2×)',
    p99,
    [{ weight: 1, median: 0.045, sigma: 0.75 }],
    true,
  ),
];
