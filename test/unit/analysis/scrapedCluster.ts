/**
 * A seeded cluster as Prometheus scrapes it, for property tests of the measurement layer and the error
 * judge together: pods of both versions with cumulative `http_requests_total{pod, code}` counters, each
 * pod scraped every `scrapeS` at its own phase, Ramp looking every 5 s and receiving every series'
 * samples since its last look, or its latest one, with the scrape's own timestamp (as measure.ts asks
 * Prometheus for a range of at least 2.5 scrape intervals). Looks go through counters.ts (aligned windows) and revisionSeries.ts
 * (per-pod counts) into the ErrorRateStream the sequential judge replays. A 5xx series appears only once
 * the pod has failed a request, as a real client's would.
 */
import poisson from '@stdlib/random-base-poisson';
import { createRng, normal, type Rng } from '@ramp/sandbox/util/random';
import { advanceWindows, startWindows, type WindowCursor } from '../../../src/analysis/counters';
import { countsByPod, roleOf, type RevisionTarget } from '../../../src/analysis/revisionSeries';
import { ErrorRateStream } from '../../../src/analysis/judges/sequentialErrors';
import { sequentialSettings } from '../../../src/analysis/judges/sequentialSettings';
import type { Baseline, TimedSample } from '../../../src/analysis/types';
import { metricSchema } from '../../../src/plan/schema';

export const LOOK_S = 5;

export interface ClusterSpec {
  seed: number;
  /** Requests per minute to the service, both versions together. */
  rpm: number;
  /** The canary's share of requests. */
  share: number;
  /** The stable's error rate; the canary's is `ratio` × it. */
  p0: number;
  ratio: number;
  scrapeS: number;
  stablePods: number;
  canaryPods: number;
  /** Coefficient of variation of the per-pod error-rate multiplier (log-normal, mean 1), both versions alike. */
  podCv: number;
  maxRatio: number;
  alpha: number;
  horizonMin: number;
  /** false: the judge without its allowances for pods that differ (to show what they buy). */
  robust?: boolean;
}

export interface RunResult {
  decision: 'fail' | 'pass' | 'continue';
  /** Minutes of analysis when it decided (the horizon when it did not). */
  minutes: number;
  canaryRequests: number;
  windows: number;
  /** The judge's state at the end (its factors and evidences, for messages). */
  stream: ErrorRateStream;
}

const TARGET: RevisionTarget = { namespace: 'shop', app: 'web', canaryRevision: 'c0ffee', stableRevision: 'be11ed' };
const HISTORY_MIN = 60;
const BASELINE_BIN_S = 300;

interface Pod {
  name: string;
  role: 'canary' | 'stable';
  multiplier: number;
  phase: number;
  ok: number;
  errors: number;
}

/** A log-normal draw with mean 1 and coefficient of variation `cv`. */
function logNormalMeanOne(rng: Rng, cv: number): number {
  if (cv <= 0) return 1;
  const s2 = Math.log1p(cv * cv);
  return Math.exp(Math.sqrt(s2) * normal(rng) - s2 / 2);
}

function podRates(spec: ClusterSpec, p: Pod): { requestsPerS: number; errorRate: number } {
  const n = p.role === 'canary' ? spec.canaryPods : spec.stablePods;
  const share = p.role === 'canary' ? spec.share : 1 - spec.share;
  const rate = spec.p0 * (p.role === 'canary' ? spec.ratio : 1) * p.multiplier;
  return { requestsPerS: (spec.rpm * share) / n / 60, errorRate: Math.min(1, rate) };
}

/** The error judge's settings for `maxRatio` (plan defaults for the rest). */
export function errorSettings(spec: Pick<ClusterSpec, 'maxRatio' | 'alpha' | 'robust'>) {
  const metric = metricSchema.parse({ name: 'errors', errorRate: { maxRatio: spec.maxRatio } });
  return { ...sequentialSettings(metric, spec.alpha), ...(spec.robust === false ? { robust: false } : {}) };
}

/** One run: the stable's last hour as the baseline, then looks every 5 s until the judge decides or the horizon. */
export function runCluster(spec: ClusterSpec): RunResult {
  const rng = createRng(spec.seed);
  const draw = poisson.factory({ prng: rng });
  const pods: Pod[] = [
    ...Array.from({ length: spec.stablePods }, (_, i) => ({ name: `web-be11ed-s${i}`, role: 'stable' as const })),
    ...Array.from({ length: spec.canaryPods }, (_, i) => ({ name: `web-c0ffee-c${i}`, role: 'canary' as const })),
  ].map((p) => ({
    ...p,
    multiplier: logNormalMeanOne(rng, spec.podCv),
    phase: rng() * spec.scrapeS,
    ok: 0,
    errors: 0,
  }));
  const stream = new ErrorRateStream(errorSettings(spec), false);
  stream.addBaseline(baseline(spec, pods, draw));

  // http_requests_total counts each request under its code: 200 holds the successes, 500 the errors.
  const samplesOf = (p: Pod, t: number): TimedSample[] => {
    const timestamp = Math.round(t * 1000);
    const ok: TimedSample = { labels: { pod: p.name, code: '200' }, value: p.ok, timestamp };
    return p.errors > 0 ? [ok, { labels: { pod: p.name, code: '500' }, value: p.errors, timestamp }] : [ok];
  };
  const opts = (now: number) => ({ now, roleOf: (l: Readonly<Record<string, string>>) => roleOf(l, TARGET) });

  // Every pod's latest scrape at or before the analysis starts (its counters start at 0 there).
  let cursor: WindowCursor = startWindows(
    pods.flatMap((p) => samplesOf(p, p.phase - spec.scrapeS)),
    opts(0),
  );
  const nextScrape = pods.map((p) => p.phase);
  let canaryRequests = 0;
  let windows = 0;
  const looks = (spec.horizonMin * 60) / LOOK_S;
  for (let look = 1; look <= looks; look++) {
    const t = look * LOOK_S;
    const samples: TimedSample[] = [];
    pods.forEach((p, i) => {
      // A look asks for a range of at least 2.5 scrape intervals (measure.ts): every series answers,
      // with its latest sample when it was not scraped since the last look.
      if (nextScrape[i] > t) samples.push(...samplesOf(p, nextScrape[i] - spec.scrapeS));
      for (; nextScrape[i] <= t; nextScrape[i] += spec.scrapeS) {
        const { requestsPerS, errorRate } = podRates(spec, p);
        const mean = requestsPerS * spec.scrapeS;
        const e = draw(mean * errorRate);
        const ok = draw(mean * (1 - errorRate));
        p.ok += ok;
        p.errors += e;
        if (p.role === 'canary') canaryRequests += ok + e;
        samples.push(...samplesOf(p, nextScrape[i]));
      }
    });
    const step = advanceWindows(cursor, samples, opts(t * 1000));
    cursor = step.cursor;
    if (!step.window) continue;
    windows++;
    const w = countsByPod(step.window.series, TARGET);
    stream.add(w.canary, w.stable, { pods: w.pods, from: step.window.from, to: step.window.to });
    const d = stream.decision;
    if (d !== 'continue') return { decision: d, minutes: t / 60, canaryRequests, windows, stream };
  }
  return { decision: 'continue', minutes: spec.horizonMin, canaryRequests, windows, stream };
}

/** The stable's last hour as the measurement layer reads it: per-pod totals and 5-minute bins. */
function baseline(spec: ClusterSpec, pods: readonly Pod[], draw: (mean: number) => number): Baseline {
  const stable = pods.filter((p) => p.role === 'stable');
  const totals = stable.map((p) => ({ pod: p.name, role: 'stable' as const, requests: 0, errors: 0 }));
  const bins = [];
  for (let b = 0; b < (HISTORY_MIN * 60) / BASELINE_BIN_S; b++) {
    const bin = { requests: 0, errors: 0 };
    stable.forEach((p, i) => {
      // Before the canary, the stable served every request.
      const requestsPerS = spec.rpm / spec.stablePods / 60;
      const errorRate = Math.min(1, spec.p0 * p.multiplier);
      const e = draw(requestsPerS * BASELINE_BIN_S * errorRate);
      const n = e + draw(requestsPerS * BASELINE_BIN_S * (1 - errorRate));
      totals[i].requests += n;
      totals[i].errors += e;
      bin.requests += n;
      bin.errors += e;
    });
    bins.push(bin);
  }
  return {
    kind: 'baseline',
    at: 0,
    lookbackMs: HISTORY_MIN * 60_000,
    binMs: BASELINE_BIN_S * 1000,
    pods: totals,
    bins,
  };
}
