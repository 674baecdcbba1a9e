/**
 * One run's cluster, as Prometheus would have it: pods with their multipliers, scrape phases and traffic,
 * rates that move per minute, and the aligned windows Ramp cuts from the scrapes (the rule of
 * analysis/counters.ts: a window closes at the first look once every pod has been scraped since the last
 * close; each pod's counts in it run between two of its own scrapes). Counts are Poisson (by thinning,
 * a pod's errors and successes between two scrapes are independent Poisson counts); latencies are
 * lognormal, counted into the histogram's buckets. Seeded: a run depends only on its rng.
 */
import type { Baseline, CountWindow, HistogramWindow, PodCounts } from '../../src/analysis/types';
import { normal, type Rng } from '@ramp/sandbox/util/random';
import { CLOCK_SKEW_MS } from '../../src/analysis/counters';
import { BUCKETS, HISTORY_MIN, LOOK_S, STABLE_LATENCY, type Scenario } from './scenarios';
import { bucketProbabilities, drawHistogram, poissonFrom, type PoissonDraw } from './traffic';

/** One closed window of a run. */
export interface WindowData {
  /** Minutes since the analysis began, at the look that closed the window. */
  minute: number;
  canary: CountWindow;
  stable: CountWindow;
  pods: PodCounts[];
  canaryHist?: HistogramWindow;
  stableHist?: HistogramWindow;
  shifted: boolean;
  /** The window's span on the scrapes' clock (ms since the analysis began). */
  from: number;
  to: number;
}

interface Pod {
  name: string;
  role: 'canary' | 'stable';
  multiplier: number;
  phase: number;
  /** The latest scrape (s) the open window starts after. */
  last: number;
}

/** A gamma draw with mean 1 and coefficient of variation `cv` (Marsaglia–Tsang). */
export function gammaMeanOne(rng: Rng, cv: number): number {
  if (cv <= 0) return 1;
  const shape = 1 / (cv * cv);
  const boost = shape < 1;
  const a = boost ? shape + 1 : shape;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  let x: number;
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = normal(rng);
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * z ** 4 || Math.log(u) < 0.5 * z * z + d * (1 - v + Math.log(v))) {
      x = d * v;
      break;
    }
  }
  if (boost) x *= Math.pow(1 - rng(), 1 / shape);
  return x / shape;
}

/** A log-normal draw with mean 1 and coefficient of variation `cv`. */
export function logNormalMeanOne(rng: Rng, cv: number): number {
  if (cv <= 0) return 1;
  const s2 = Math.log1p(cv * cv);
  return Math.exp(Math.sqrt(s2) * normal(rng) - s2 / 2);
}

export class Cluster {
  private readonly draw: PoissonDraw;
  private readonly pods: Pod[];
  /** Burst multipliers per minute, indexed from −HISTORY_MIN. */
  private readonly bursts: { stable: number[]; canary: number[] };
  private readonly latency: boolean;
  private readonly stableProbs: number[];
  private readonly canaryProbs: number[];
  private closedAt = 0;
  private lastShare: number;
  private shiftNoticedAt?: number;

  constructor(
    private readonly s: Scenario,
    rng: Rng,
    horizonMin: number,
  ) {
    this.draw = poissonFrom(rng);
    this.latency = s.metric.kind === 'latency';
    const pod = (role: Pod['role'], i: number): Pod => {
      const phase = rng() * s.scrapeS;
      return {
        name: `${role}-${i}`,
        role,
        multiplier: logNormalMeanOne(rng, s.pods.cv),
        phase,
        last: this.scrapeAtOrBefore(phase, 0),
      };
    };
    this.pods = [
      ...Array.from({ length: s.pods.stable }, (_, i) => pod('stable', i)),
      ...Array.from({ length: s.pods.canary }, (_, i) => pod('canary', i)),
    ];
    const minutes = HISTORY_MIN + horizonMin + 2;
    const b = s.bursts;
    const common = Array.from({ length: minutes }, () => (b?.kind === 'common' ? gammaMeanOne(rng, b.cv) : 1));
    const own = () =>
      Array.from({ length: minutes }, (_, i) => (b?.kind === 'perVersion' ? gammaMeanOne(rng, b.cv) : common[i]));
    this.bursts = { stable: own(), canary: b?.kind === 'perVersion' ? own() : common };
    this.stableProbs = bucketProbabilities(STABLE_LATENCY, BUCKETS);
    this.canaryProbs = bucketProbabilities(s.canaryLatency, BUCKETS);
    this.lastShare = s.share(0);
  }

  private scrapeAtOrBefore(phase: number, t: number): number {
    return phase + this.s.scrapeS * Math.floor((t - phase) / this.s.scrapeS);
  }

  private burst(role: Pod['role'], minute: number): number {
    const i = Math.min(Math.max(minute + HISTORY_MIN, 0), this.bursts.stable.length - 1);
    return this.bursts[role][i];
  }

  /** A pod's expected requests and errors over (a, b] seconds of the analysis (minute by minute). */
  private expected(p: Pod, a: number, b: number, history = false): { requests: number; errors: number } {
    let requests = 0;
    let errors = 0;
    for (let t = a; t < b;) {
      const minute = Math.floor(t / 60);
      const end = Math.min(b, (minute + 1) * 60);
      const share = history ? 0 : this.s.share(Math.max(minute, 0));
      const count = p.role === 'canary' ? this.s.pods.canary : this.s.pods.stable;
      const weight = (p.role === 'canary' ? share : 1 - share) / count;
      const r = ((this.s.rpm * weight) / 60) * (end - t);
      const rate = (p.role === 'canary' ? this.s.canaryErrorRate : this.s.stableErrorRate)(Math.max(minute, 0));
      requests += r;
      errors += r * Math.min(1, rate * p.multiplier * this.burst(p.role, minute));
      t = end;
    }
    return { requests, errors };
  }

  private drawPod(
    p: Pod,
    a: number,
    b: number,
    history = false,
  ): { requests: number; errors: number; hist?: HistogramWindow } {
    const e = this.expected(p, a, b, history);
    if (this.latency) {
      const hist = drawHistogram(
        this.draw,
        e.requests,
        BUCKETS,
        p.role === 'canary' ? this.canaryProbs : this.stableProbs,
      );
      return { requests: hist.count, errors: 0, hist };
    }
    const errors = this.draw(e.errors);
    return { requests: errors + this.draw(e.requests - e.errors), errors };
  }

  /** The stable's hour before the analysis: its pods' totals and its 5-minute bins. */
  baseline(): Baseline {
    const stable = this.pods.filter((p) => p.role === 'stable');
    const binS = 300;
    const bins: CountWindow[] = [];
    const binHistograms: HistogramWindow[] = [];
    const totals = new Map<string, { requests: number; errors: number; hist?: HistogramWindow }>();
    for (let start = -HISTORY_MIN * 60; start < 0; start += binS) {
      const bin = { requests: 0, errors: 0 };
      let hist: HistogramWindow | undefined;
      for (const p of stable) {
        const d = this.drawPod(p, start, start + binS, true);
        bin.requests += d.requests;
        bin.errors += d.errors;
        const t = totals.get(p.name) ?? { requests: 0, errors: 0 };
        t.requests += d.requests;
        t.errors += d.errors;
        if (d.hist) {
          t.hist = addHist(t.hist, d.hist);
          hist = addHist(hist, d.hist);
        }
        totals.set(p.name, t);
      }
      bins.push(bin);
      if (hist) binHistograms.push(hist);
    }
    const head = { kind: 'baseline' as const, at: 0, lookbackMs: HISTORY_MIN * 60_000, binMs: binS * 1000 };
    if (!this.latency)
      return {
        ...head,
        pods: [...totals.entries()].map(([pod, t]) => ({
          pod,
          role: 'stable' as const,
          requests: t.requests,
          errors: t.errors,
        })),
        bins,
      };
    return {
      ...head,
      les: BUCKETS,
      podHistograms: [...totals.entries()].map(([pod, t]) => ({
        pod,
        role: 'stable' as const,
        counts: (t.hist as HistogramWindow).buckets.map((b) => b.count),
        count: (t.hist as HistogramWindow).count,
      })),
      binHistograms,
    };
  }

  /** The next window, closed at the first look once every pod has been scraped since the last close. */
  next(): WindowData {
    const due = Math.max(...this.pods.map((p) => p.last + this.s.scrapeS));
    const close = Math.max(this.closedAt + LOOK_S, Math.ceil((due - 1e-9) / LOOK_S) * LOOK_S);
    // A traffic change is noticed at the first look after it (the engine compares looks).
    for (let look = this.closedAt + LOOK_S; look <= close; look += LOOK_S) {
      const share = this.s.share(Math.floor(look / 60));
      if (share !== this.lastShare) {
        this.shiftNoticedAt = look;
        this.lastShare = share;
      }
    }
    const canary = { requests: 0, errors: 0 };
    const stable = { requests: 0, errors: 0 };
    const pods: PodCounts[] = [];
    let canaryHist: HistogramWindow | undefined;
    let stableHist: HistogramWindow | undefined;
    let from = Infinity;
    let to = -Infinity;
    for (const p of this.pods) {
      const end = this.scrapeAtOrBefore(p.phase, close);
      const d = this.drawPod(p, p.last, end);
      from = Math.min(from, p.last);
      to = Math.max(to, end);
      p.last = end;
      const into = p.role === 'canary' ? canary : stable;
      into.requests += d.requests;
      into.errors += d.errors;
      pods.push({ pod: p.name, role: p.role, requests: d.requests, errors: d.errors });
      if (d.hist) {
        if (p.role === 'canary') canaryHist = addHist(canaryHist, d.hist);
        else stableHist = addHist(stableHist, d.hist);
      }
    }
    this.closedAt = close;
    const shifted = this.shiftNoticedAt !== undefined && from * 1000 < this.shiftNoticedAt * 1000 + CLOCK_SKEW_MS;
    return {
      minute: close / 60,
      canary,
      stable,
      pods,
      ...(canaryHist ? { canaryHist } : {}),
      ...(stableHist ? { stableHist } : {}),
      shifted,
      from: from * 1000,
      to: to * 1000,
    };
  }
}

function addHist(a: HistogramWindow | undefined, b: HistogramWindow): HistogramWindow {
  if (!a) return { buckets: b.buckets.map((x) => ({ ...x })), count: b.count };
  return {
    buckets: a.buckets.map((x, i) => ({ le: x.le, count: x.count + b.buckets[i].count })),
    count: a.count + b.count,
  };
}
