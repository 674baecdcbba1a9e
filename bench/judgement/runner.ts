/**
 * Runs of one scenario: each run draws one seeded cluster (pods, phases, bursts) and its windows, and
 * feeds them to every judge until each has decided or the horizon is reached, then tallies what each
 * judge did.
 */
import { createRng, seedFromString } from '@ramp/sandbox/util/random';
import {
  ALPHA,
  BUCKETS,
  DETECT_INCREASE,
  DETECT_RATIO,
  HORIZON_MIN,
  MAX_INCREASE,
  STABLE_LATENCY,
  type Scenario,
} from './scenarios';
import { latencyCdf } from './traffic';
import type { BenchJudge, Outcome, Served, WindowData } from './benchJudge';
import { SequentialBenchJudge } from './sequentialBenchJudge';
import { ARGO, FLAGGER, WindowJudge } from './windowJudge';
import { SprtJudge, type SprtRates } from './sprt';
import { Cluster } from './cluster';

export const JUDGES = ['sequential', 'plain', 'flagger', 'argo', 'sprt'] as const;
export type JudgeName = (typeof JUDGES)[number];

/** Sums over runs for one judge, and the decision times and requests of each run (for medians). */
export interface Tally {
  runs: number;
  rollbacks: number;
  decided: number;
  requestsToDecision: number;
  requestsToRollback: number;
  errorsBeforeRollback: number;
  /** Minutes to the decision of every run (Infinity when undecided), and canary requests at each rollback. */
  minutes: number[];
  rollbackMinutes: number[];
  passMinutes: number[];
  rollbackRequests: number[];
}

export function emptyTally(): Tally {
  return {
    runs: 0,
    rollbacks: 0,
    decided: 0,
    requestsToDecision: 0,
    requestsToRollback: 0,
    errorsBeforeRollback: 0,
    minutes: [],
    rollbackMinutes: [],
    passMinutes: [],
    rollbackRequests: [],
  };
}

export function mergeTally(a: Tally, b: Tally): Tally {
  return {
    runs: a.runs + b.runs,
    rollbacks: a.rollbacks + b.rollbacks,
    decided: a.decided + b.decided,
    requestsToDecision: a.requestsToDecision + b.requestsToDecision,
    requestsToRollback: a.requestsToRollback + b.requestsToRollback,
    errorsBeforeRollback: a.errorsBeforeRollback + b.errorsBeforeRollback,
    minutes: [...a.minutes, ...b.minutes],
    rollbackMinutes: [...a.rollbackMinutes, ...b.rollbackMinutes],
    passMinutes: [...a.passMinutes, ...b.passMinutes],
    rollbackRequests: [...a.rollbackRequests, ...b.rollbackRequests],
  };
}

function record(t: Tally, o: Outcome): void {
  t.runs++;
  if (o.decided) t.decided++;
  t.requestsToDecision += o.canaryRequests;
  t.minutes.push(o.decided ? o.minute : Infinity);
  if (o.rolledBack) {
    t.rollbacks++;
    t.requestsToRollback += o.canaryRequests;
    t.errorsBeforeRollback += o.canaryErrors;
    t.rollbackMinutes.push(o.minute);
    t.rollbackRequests.push(o.canaryRequests);
  } else if (o.decided) t.passMinutes.push(o.minute);
}

/** The oracle boundary for latency: where the true stable quantile's bucket ends. */
export function oracleBoundary(quantile: number): number {
  return BUCKETS.find((le) => latencyCdf(STABLE_LATENCY, le) >= quantile) ?? BUCKETS[BUCKETS.length - 1];
}

/** The hypotheses Wald's SPRT tests, with the stable's true rate: the judge's tolerance against its regression to detect. */
export function sprtRates(s: Scenario): SprtRates {
  const m = s.metric;
  if (m.kind === 'errors') {
    return {
      p0: (t) => Math.max(m.maxRatio * s.stableErrorRate(t), s.stableErrorRate(t) + MAX_INCREASE),
      p1: (t) => Math.max(DETECT_RATIO * s.stableErrorRate(t), s.stableErrorRate(t) + DETECT_INCREASE),
      events: (w) => ({ requests: w.canary.requests, events: w.canary.errors }),
      eventsAreErrors: true,
    };
  }
  const x = oracleBoundary(m.quantile);
  const index = BUCKETS.indexOf(x);
  const survival = (y: number) => 1 - latencyCdf(STABLE_LATENCY, y);
  const detect = (m.maxRatio * 4) / 3;
  return {
    p0: () => survival(x / m.maxRatio),
    p1: () => survival(x / detect),
    events: (w) => {
      const h = w.canaryHist as NonNullable<WindowData['canaryHist']>;
      return { requests: h.count, events: h.count - h.buckets[index].count };
    },
    eventsAreErrors: false,
  };
}

/**
 * The judges a scenario is run with: the threshold judges only where they are the reference (the true
 * ratios, rare errors, latency: they watch most runs for the whole horizon, which is most of the cost).
 */
export function judgesOf(s: Scenario): JudgeName[] {
  return JUDGES.filter((j) => (j !== 'flagger' && j !== 'argo') || THRESHOLD_GROUPS.has(s.group));
}

const THRESHOLD_GROUPS = new Set(['ratios', 'rare', 'latency']);

function judgesFor(s: Scenario, cluster: Cluster): Partial<Record<JudgeName, BenchJudge>> {
  const bound = s.metric.maxRatio;
  const baseline = cluster.baseline();
  const all: Record<JudgeName, () => BenchJudge> = {
    sequential: () => new SequentialBenchJudge(s, ALPHA, baseline),
    plain: () => new SequentialBenchJudge(s, ALPHA, baseline, false),
    flagger: () => new WindowJudge(s, { ...FLAGGER, latencyBound: bound }, BUCKETS),
    argo: () => new WindowJudge(s, { ...ARGO, latencyBound: bound }, BUCKETS),
    sprt: () => new SprtJudge(sprtRates(s), ALPHA),
  };
  return Object.fromEntries(judgesOf(s).map((j) => [j, all[j]()]));
}

/** Runs [from, to) of a scenario; every run's cluster depends only on the scenario's name and the run's index. */
export function runScenario(s: Scenario, from: number, to: number, horizonMin = HORIZON_MIN): Record<JudgeName, Tally> {
  const tallies = Object.fromEntries(JUDGES.map((j) => [j, emptyTally()])) as Record<JudgeName, Tally>;
  for (let run = from; run < to; run++) {
    const seed = seedFromString(`${s.name}:${run}`);
    const cluster = new Cluster(s, createRng(seed), horizonMin);
    const judgeRng = createRng(seed ^ 0x5bd1e995);
    const judges = judgesFor(s, cluster) as Record<JudgeName, BenchJudge>;
    const open = new Set<JudgeName>(judgesOf(s));
    const served: Served = { canaryRequests: 0, canaryErrors: 0 };
    let minute = 0;
    while (open.size > 0) {
      const w = cluster.next();
      if (w.minute > horizonMin) break;
      minute = w.minute;
      for (const name of [...open]) {
        const o = judges[name].observe(w, served, judgeRng);
        if (o) {
          record(tallies[name], o);
          open.delete(name);
        }
      }
      served.canaryRequests += w.canary.requests;
      served.canaryErrors += w.canary.errors;
    }
    for (const name of open) record(tallies[name], judges[name].atHorizon(served, minute));
  }
  return tallies;
}
