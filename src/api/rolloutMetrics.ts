/**
 * Each active rollout as Prometheus series on the API server's /metrics, so a Grafana panel can follow
 * a rollout beside the app's own metrics: phase, step, target and actual weight, and each metric's
 * verdict, labelled by namespace and app. Computed from the store when scraped (the API server sees
 * every rollout, a worker only those it happened to run), from one read shared by every series.
 */
import { Gauge, type Registry } from 'prom-client';
import { PHASES } from '../engine/phase';
import type { RolloutStore } from '../engine/store';
import type { RolloutView } from './schemas';
import { rolloutView } from './views';

/** How many active rollouts a scrape reads at most (the rest are counted, not shown). */
const MAX_ROLLOUTS = 1000;
/** Series of one scrape are computed once: every gauge of a scrape reads the same snapshot. */
const SNAPSHOT_MS = 1000;

const ROLLOUT = ['namespace', 'app', 'rollout'] as const;
const DECISIONS = ['continue', 'pass', 'fail', 'inconclusive'] as const;

export const ROLLOUT_METRIC_NAMES = [
  'ramp_rollout_info',
  'ramp_rollout_phase',
  'ramp_rollout_step',
  'ramp_rollout_steps',
  'ramp_rollout_weight',
  'ramp_rollout_verdict',
  'ramp_rollouts_active',
] as const;

/** Registers the per-rollout series on `registry` (once; a second call is a no-op). */
export function registerRolloutMetrics(registry: Registry, store: Pick<RolloutStore, 'listActiveIds' | 'get'>): void {
  if (registry.getSingleMetric('ramp_rollout_info')) return;
  let snapshot: { at: number; views: Promise<{ views: RolloutView[]; active: number }> } | undefined;
  const views = () => {
    const now = Date.now();
    if (!snapshot || now - snapshot.at > SNAPSHOT_MS) snapshot = { at: now, views: read(store) };
    return snapshot.views;
  };
  const labels = (v: RolloutView) => ({ namespace: v.namespace, app: v.name, rollout: v.id });

  new Gauge({
    name: 'ramp_rollouts_active',
    help: 'Rollouts not yet finished.',
    registers: [registry],
    async collect() {
      this.set((await views()).active);
    },
  });
  new Gauge({
    name: 'ramp_rollout_info',
    help: 'An active rollout, with its strategy and router (always 1).',
    labelNames: [...ROLLOUT, 'strategy', 'router'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const v of (await views()).views) this.set({ ...labels(v), strategy: v.strategy, router: v.router }, 1);
    },
  });
  new Gauge({
    name: 'ramp_rollout_phase',
    help: 'An active rollout’s phase: 1 for the phase it is in, 0 for the others.',
    labelNames: [...ROLLOUT, 'phase'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const v of (await views()).views)
        for (const phase of PHASES) this.set({ ...labels(v), phase }, v.phase === phase ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ramp_rollout_step',
    help: 'An active rollout’s current step, counted from 1 (steps + 1 once every step is done).',
    labelNames: [...ROLLOUT],
    registers: [registry],
    async collect() {
      this.reset();
      for (const v of (await views()).views) this.set(labels(v), v.stepIndex + 1);
    },
  });
  new Gauge({
    name: 'ramp_rollout_steps',
    help: 'How many steps an active rollout’s plan has.',
    labelNames: [...ROLLOUT],
    registers: [registry],
    async collect() {
      this.reset();
      for (const v of (await views()).views) this.set(labels(v), v.steps.length);
    },
  });
  new Gauge({
    name: 'ramp_rollout_weight',
    help: 'The new revision’s share of requests in percent: what the steps ask for (kind="target") and what the ready pods give (kind="actual", without a router).',
    labelNames: [...ROLLOUT, 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const v of (await views()).views) {
        this.set({ ...labels(v), kind: 'target' }, v.weight);
        const actual = v.traffic.actual?.weight;
        if (actual !== undefined) this.set({ ...labels(v), kind: 'actual' }, actual);
      }
    },
  });
  new Gauge({
    name: 'ramp_rollout_verdict',
    help: 'Each judged metric’s latest decision: 1 for the decision it has, 0 for the others.',
    labelNames: [...ROLLOUT, 'metric', 'decision'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const v of (await views()).views)
        for (const m of v.analysis.metrics)
          for (const decision of DECISIONS)
            this.set({ ...labels(v), metric: m.name, decision }, m.decision === decision ? 1 : 0);
    },
  });
}

async function read(
  store: Pick<RolloutStore, 'listActiveIds' | 'get'>,
): Promise<{ views: RolloutView[]; active: number }> {
  const ids = await store.listActiveIds();
  const records = await Promise.all(ids.slice(0, MAX_ROLLOUTS).map((id) => store.get(id)));
  const views: RolloutView[] = [];
  for (const r of records) {
    // A record another writer deleted, or that cannot be described, is left out of this scrape.
    if (!r) continue;
    try {
      views.push(rolloutView(r));
    } catch {
      continue;
    }
  }
  return { views, active: ids.length };
}
