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

type Store = Pick<RolloutStore, 'listActiveIds' | 'get'>;
/** The store each registry reads: the latest app built on it (tests build several on one registry). */
const stores = new WeakMap<Registry, Store>();

/** Registers the per-rollout series on `registry` (once; a later call only points them at `store`). */
export function registerRolloutMetrics(registry: Registry, store: Store): void {
  stores.set(registry, store);
  if (registry.getSingleMetric('ramp_rollout_info')) return;
  let snapshot: { at: number; views: Promise<{ views: RolloutView[]; active?: number }> } | undefined;
  const views = () => {
    const now = Date.now();
    const current = stores.get(registry) ?? store;
    if (!snapshot || now - snapshot.at > SNAPSHOT_MS) snapshot = { at: now, views: read(current) };
    return snapshot.views;
  };
  const labels = (v: RolloutView) => ({ namespace: v.namespace, app: v.name, rollout: v.id });

  new Gauge({
    name: 'ramp_rollouts_active',
    help: 'Rollouts not yet finished.',
    registers: [registry],
    async collect() {
      const { active } = await views();
      if (active === undefined) this.reset();
      else this.set(active);
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

/**
 * The active rollouts' views; none (and no count) while the store cannot answer, and without a record
 * that cannot be read or described: a scrape never fails for a rollout.
 */
async function read(store: Store): Promise<{ views: RolloutView[]; active?: number }> {
  let ids: string[];
  try {
    ids = await store.listActiveIds();
  } catch {
    return { views: [] };
  }
  const records = await Promise.all(ids.slice(0, MAX_ROLLOUTS).map((id) => store.get(id).catch(() => undefined)));
  const views: RolloutView[] = [];
  for (const r of records) {
    if (!r) continue;
    try {
      views.push(rolloutView(r));
    } catch {
      continue;
    }
  }
  return { views, active: ids.length };
}
