/**
 * Runs of one scenario: each run draws one seeded stream of intervals and feeds it to every judge until
 * each has decided or the horizon is reached, then tallies what each judge did.
 */
import { createRng, seedFromString, type Rng } from '@ramp/sandbox/util/random';
import { ALPHA, BUCKETS, HORIZON_MIN, INTERVAL_S, STABLE_LATENCY, type Scenario } from './scenarios';
import { bucketProbabilities, drawCounts, drawHistogram, latencyCdf, poissonFrom, type PoissonDraw } from './traffic';
import type { BenchJudge, IntervalData, Outcome, Served } from './benchJudge';
import { SequentialBenchJudge } from './sequentialBenchJudge';
import { ARGO, FLAGGER, WindowJudge } from './windowJudge';
import { SprtJudge, type SprtRates } from './sprt';

export const JUDGES = ['sequential', 'flagger', 'argo', 'matched', 'sprt'] as const;
export type JudgeName = (typeof JUDGES)[number];

/** The matched-alpha threshold judge's tuned setting for a scenario (a floor for errors, a ratio bound for latency). */
export interface Matched {
  floor: number;
  latencyBound: number;
}

/** Sums over runs for one judge. */
export interface Tally {
  runs: number;
  rollbacks: number;
  decided: number;
  requestsToDecision: number;
  requestsToRollback: number;
  errorsBeforeRollback: number;
}

export function emptyTally(): Tally {
  return { runs: 0, rollbacks: 0, decided: 0, requestsToDecision: 0, requestsToRollback: 0, errorsBeforeRollback: 0 };
}

export function mergeTally(a: Tally, b: Tally): Tally {
  return {
    runs: a.runs + b.runs,
    rollbacks: a.rollbacks + b.rollbacks,
    decided: a.decided + b.decided,
    requestsToDecision: a.requestsToDecision + b.requestsToDecision,
    requestsToRollback: a.requestsToRollback + b.requestsToRollback,
    errorsBeforeRollback: a.errorsBeforeRollback + b.errorsBeforeRollback,
  };
}

function record(t: Tally, o: Outcome): void {
  t.runs++;
  if (o.decided) t.decided++;
  t.requestsToDecision += o.canaryRequests;
  if (o.rolledBack) {
    t.rollbacks++;
    t.requestsToRollback += o.canaryRequests;
    t.errorsBeforeRollback += o.canaryErrors;
  }
}

/** The oracle boundary for latency: where the true stable quantile's bucket ends. */
export function oracleBoundary(quantile: number): number {
  return BUCKETS.find((le) => latencyCdf(STABLE_LATENCY, le) >= quantile) ?? BUCKETS[BUCKETS.length - 1];
}

function sprtRates(s: Scenario): SprtRates {
  const m = s.metric;
  if (m.kind === 'errors') {
    return {
      p0: (t) => s.stableErrorRate(t),
      p1: (t) => Math.max(s.canaryErrorRate(t), m.maxRatio * s.stableErrorRate(t)),
      events: (iv) => ({ requests: iv.canary.requests, events: iv.canary.errors }),
      eventsAreErrors: true,
    };
  }
  const x = oracleBoundary(m.quantile);
  const index = BUCKETS.indexOf(x);
  const p0 = 1 - latencyCdf(STABLE_LATENCY, x);
  const p1 = Math.max(1 - latencyCdf(s.canaryLatency, x), 1 - latencyCdf(STABLE_LATENCY, x / m.maxRatio));
  return {
    p0: () => p0,
    p1: () => p1,
    events: (iv) => {
      const h = iv.canaryHist as NonNullable<IntervalData['canaryHist']>;
      return { requests: h.count, events: h.count - h.buckets[index].count };
    },
    eventsAreErrors: false,
  };
}

function judgesFor(s: Scenario, matched: Matched): Record<JudgeName, BenchJudge> {
  const bound = s.metric.maxRatio;
  return {
    sequential: new SequentialBenchJudge(s, ALPHA),
    flagger: new WindowJudge(s, { ...FLAGGER, latencyBound: bound }, BUCKETS),
    argo: new WindowJudge(s, { ...ARGO, latencyBound: bound }, BUCKETS),
    matched: new WindowJudge(s, { ...FLAGGER, floor: matched.floor, latencyBound: matched.latencyBound }, BUCKETS),
    sprt: new SprtJudge(sprtRates(s), ALPHA),
  };
}

/** Draws the intervals of one run. */
export class StreamSource {
  private readonly draw: PoissonDraw;
  private readonly stableProbs: number[];
  private readonly canaryProbs: number[];

  constructor(
    private readonly s: Scenario,
    rng: Rng,
  ) {
    this.draw = poissonFrom(rng);
    this.stableProbs = bucketProbabilities(STABLE_LATENCY, BUCKETS);
    this.canaryProbs = bucketProbabilities(s.canaryLatency, BUCKETS);
  }

  /** Interval i (0-based), `seconds` long. */
  interval(i: number, seconds = INTERVAL_S): IntervalData {
    const minute = ((i + 1) * seconds) / 60;
    const t = (i * seconds) / 60;
    const mean = (this.s.rpm * seconds) / 60;
    const share = this.s.share(t);
    if (this.s.metric.kind === 'errors') {
      return {
        minute,
        canary: drawCounts(this.draw, mean * share, this.s.canaryErrorRate(t)),
        stable: drawCounts(this.draw, mean * (1 - share), this.s.stableErrorRate(t)),
      };
    }
    const canaryHist = drawHistogram(this.draw, mean * share, BUCKETS, this.canaryProbs);
    const stableHist = drawHistogram(this.draw, mean * (1 - share), BUCKETS, this.stableProbs);
    return {
      minute,
      canary: { requests: canaryHist.count, errors: 0 },
      stable: { requests: stableHist.count, errors: 0 },
      canaryHist,
      stableHist,
    };
  }
}

/** Runs [from, to) of a scenario; every run's stream depends only on the scenario's name and the run's index. */
export function runScenario(s: Scenario, matched: Matched, from: number, to: number): Record<JudgeName, Tally> {
  const tallies = Object.fromEntries(JUDGES.map((j) => [j, emptyTally()])) as Record<JudgeName, Tally>;
  const horizon = (HORIZON_MIN * 60) / INTERVAL_S;
  for (let run = from; run < to; run++) {
    const seed = seedFromString(`${s.name}:${run}`);
    const source = new StreamSource(s, createRng(seed));
    const judgeRng = createRng(seed ^ 0x5bd1e995);
    const judges = judgesFor(s, matched);
    const open = new Set<JudgeName>(JUDGES);
    const served: Served = { canaryRequests: 0, canaryErrors: 0 };
    for (let i = 0; i < horizon && open.size > 0; i++) {
      const iv = source.interval(i);
      for (const name of [...open]) {
        const o = judges[name].observe(iv, served, judgeRng);
        if (o) {
          record(tallies[name], o);
          open.delete(name);
        }
      }
      served.canaryRequests += iv.canary.requests;
      served.canaryErrors += iv.canary.errors;
    }
    for (const name of open) record(tallies[name], judges[name].atHorizon(served));
  }
  return tallies;
}
