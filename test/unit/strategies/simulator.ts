/**
 * A tiny model of a cluster for the pure strategies: ReplicaSets whose pods become ready one tick after
 * they are asked for (or never), a router with a traffic split, Service selectors — driven by the same
 * action planner the engine uses, through the strategy registry (so any strategy runs in it). It records
 * every change so tests can check the invariants.
 */
import { planActions } from '../../../src/engine/actions';
import type { RolloutRecord, RolloutEvent } from '../../../src/engine/record';
import { isTerminal, RECORD_SCHEMA_VERSION } from '../../../src/engine/record';
import { compilePlan, type CompiledPlan } from '../../../src/plan/compile';
import type { Plan } from '../../../src/plan/schema';
import type { PodSummary } from '../../../src/kube/pods';
import { bindStrategy } from '../../../src/strategies/registry';
import type { AnalysisOutcome, RevisionRole, StrategyObserved } from '../../../src/strategies/strategy';
import { createRng } from '@ramp/sandbox/util/random';
import { sameTraffic, STABLE_ONLY, type Traffic } from '../../../src/strategies/traffic';
import { MAX_MEASUREMENTS, type Decision, type Measurement, type Verdict } from '../../../src/analysis/types';
import { againstBaseline } from '../../../src/analysis/baseline';

export interface ClusterChange {
  at: number;
  kind: 'route' | 'replicas' | 'service';
  revision?: string;
  /** The Service's role, for `service` changes. */
  role?: RevisionRole;
  value: number | string;
  phase: string;
}

export interface SimOptions {
  /** The analysis answer at a time (default: pass). */
  analysis?: (now: number, record: RolloutRecord) => Decision;
  /** Revisions whose pods never become ready. */
  neverReady?: string[];
  /**
   * Whether a revision's pods crash-loop at this moment: those not ready yet stay so, and the kubelet
   * reports them as CrashLoopBackOff (a failure that will not pass by waiting).
   */
  crashLooping?: (revision: string, now: number, record: RolloutRecord) => boolean;
  /** The chance that a pod not ready yet becomes ready at each tick (default 1: one tick after it is asked for). */
  readyChance?: number;
  /** Seeds readyChance. */
  seed?: number;
  /**
   * A scale-down removes ready pods first (the worst case for availability) rather than the ones not
   * ready yet (what a ReplicaSet controller does).
   */
  removeReadyFirst?: boolean;
  /** The Services' selectors at the start, by role (default: stable selects the stable revision behind a router, else '*'). */
  services?: Partial<Record<RevisionRole, string>>;
  tickMs?: number;
  maxMs?: number;
  /** Called before each tick; may return a new record (operations such as promote). */
  operate?: (record: RolloutRecord, now: number) => RolloutRecord | undefined;
  /** Called after each tick with the model's state (invariant checks). */
  observe?: (tick: SimTick) => void;
}

/** The model at the end of one tick. */
export interface SimTick {
  now: number;
  record: RolloutRecord;
  replicaSets: ReadonlyMap<string, { spec: number; ready: number }>;
  traffic: Traffic;
  stableService: string;
  services: Readonly<Partial<Record<RevisionRole, string>>>;
}

export interface SimResult {
  record: RolloutRecord;
  changes: ClusterChange[];
  events: RolloutEvent[];
  phases: string[];
  endedAt: number;
}

/** A record of `plan` just resolved: stable `s1` (unless absent) and new revision `c1`, Pending. */
export function initialRecord(plan: Plan, opts: { stable?: string; canary?: string } = {}): RolloutRecord {
  const stable = 'stable' in opts ? opts.stable : 's1';
  const compiled = compilePlan(plan);
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: `${compiled.namespace}.${compiled.app}.1`,
    namespace: compiled.namespace,
    app: compiled.app,
    seq: 1,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    attempt: 1,
    plan,
    template: null,
    revisions: { stable, new: opts.canary ?? 'c1' },
    firstDeploy: stable === undefined,
    phase: 'Pending',
    message: 'created',
    analysis: { metrics: {} },
    strategy: bindStrategy(compiled).initialState(),
  };
}

/** `count` pods of `revision` in CrashLoopBackOff, as the engine observes them. */
function crashLoopingPods(revision: string, count: number): PodSummary[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `checkout-${revision}-${i}`,
    phase: 'Running',
    ready: false,
    restarts: 3,
    problem: { reason: 'CrashLoopBackOff', container: 'app', exitCode: 1 },
  }));
}

export function simulate(plan: Plan | CompiledPlan, start: RolloutRecord, opts: SimOptions = {}): SimResult {
  const compiled = 'apiVersion' in plan ? compilePlan(plan) : plan;
  const strategy = bindStrategy(compiled);
  const routed = compiled.strategy.capabilities.weights === 'route';
  const tick = opts.tickMs ?? 1000;
  const maxMs = opts.maxMs ?? 3_600_000;
  const rs = new Map<string, { spec: number; ready: number }>();
  if (start.revisions.stable) rs.set(start.revisions.stable, { spec: compiled.replicas, ready: compiled.replicas });
  let traffic: Traffic = STABLE_ONLY;
  const services: Partial<Record<RevisionRole, string>> = {
    stable: routed ? (start.revisions.stable ?? '') : '*',
    ...opts.services,
  };
  const random = createRng(opts.seed ?? 1);
  const becomeReady = (pending: number): number => {
    const chance = opts.readyChance ?? 1;
    let n = 0;
    for (let i = 0; i < pending; i++) if (chance >= 1 || random() < chance) n++;
    return n;
  };
  const shrunk = (cur: { spec: number; ready: number }, replicas: number): number =>
    opts.removeReadyFirst ? Math.max(0, cur.ready - (cur.spec - replicas)) : Math.min(cur.ready, replicas);
  const changes: ClusterChange[] = [];
  const events: RolloutEvent[] = [];
  const phases: string[] = [start.phase];
  let record = start;
  let now = 0;
  for (; now <= maxMs; now += tick) {
    record = opts.operate?.(record, now) ?? record;
    // Pods asked for last tick are ready now (unless they never are).
    const crashing = (rev: string) => opts.crashLooping?.(rev, now, record) ?? false;
    for (const [rev, s] of rs)
      if (!opts.neverReady?.includes(rev) && !crashing(rev)) s.ready += becomeReady(s.spec - s.ready);
    const target = strategy.traffic(record);
    const observed: StrategyObserved = {
      revisions: [...rs].map(([revision, s]) => ({
        revision,
        specReplicas: s.spec,
        readyReplicas: s.ready,
        ...(crashing(revision) ? { pods: crashLoopingPods(revision, s.spec - s.ready) } : {}),
      })),
      services: { ...services },
      trafficVerified: routed ? sameTraffic(traffic, target) : undefined,
    };
    let analysis: AnalysisOutcome | undefined;
    if (strategy.analysisActive(record) && now >= (record.analysis.lastAt ?? 0) + compiled.analysis.intervalMs) {
      const decision = opts.analysis?.(now, record) ?? 'pass';
      const metric = compiled.analysis.metrics[0]?.name ?? 'm';
      const verdict = { metric, decision, reason: `simulated ${decision}`, evidence: {} };
      analysis = { decision, reason: verdict.reason, verdicts: [verdict] };
      record = {
        ...record,
        analysis: { ...record.analysis, lastAt: now, metrics: { [metric]: look(record, metric, now, verdict) } },
      };
    }
    const out = strategy.decide({ record, observed, analysis, now });
    record = out.record;
    events.push(...strategy.place(record, out.events));
    if (phases[phases.length - 1] !== record.phase) phases.push(record.phase);
    const desired = strategy.desired(record, observed, now);
    const goal = strategy.traffic(record);
    let verified: boolean | undefined = routed ? sameTraffic(traffic, goal) : undefined;
    for (const a of planActions(desired, observed, verified ? goal : undefined)) {
      switch (a.kind) {
        case 'ensureService':
          if (services[a.role] !== a.revision)
            changes.push({ at: now, kind: 'service', role: a.role, value: a.revision, phase: record.phase });
          services[a.role] = a.revision;
          break;
        case 'scaleUp': {
          const cur = rs.get(a.revision) ?? { spec: 0, ready: 0 };
          if (cur.spec !== a.replicas)
            changes.push({ at: now, kind: 'replicas', revision: a.revision, value: a.replicas, phase: record.phase });
          rs.set(a.revision, { spec: a.replicas, ready: Math.min(cur.ready, a.replicas) });
          break;
        }
        case 'route':
          if (routed) {
            if (traffic.weight !== a.traffic.weight)
              changes.push({ at: now, kind: 'route', value: a.traffic.weight, phase: record.phase });
            traffic = a.traffic;
            verified = sameTraffic(traffic, goal);
          }
          break;
        case 'scaleDown': {
          if (a.after?.traffic && verified === false) break;
          if (a.after?.ready && (rs.get(a.after.ready.revision)?.ready ?? 0) < a.after.ready.pods) break;
          const cur = rs.get(a.revision);
          if (cur && cur.spec !== a.replicas) {
            changes.push({ at: now, kind: 'replicas', revision: a.revision, value: a.replicas, phase: record.phase });
            rs.set(a.revision, { spec: a.replicas, ready: shrunk(cur, a.replicas) });
          }
          break;
        }
      }
    }
    opts.observe?.({ now, record, replicaSets: rs, traffic, stableService: services.stable ?? '', services });
    if (isTerminal(record.phase) && strategy.nextWakeup(record, now) === Infinity) break;
  }
  return { record, changes, events, phases, endedAt: now };
}

/**
 * One look's window of equal counts, judged (by the script) against the live stable side, or after a
 * switch against the next frozen pre-switch window, as the engine does: the windows kept and the
 * baseline used up are real, the verdict is the script's.
 */
function look(record: RolloutRecord, metric: string, now: number, verdict: Verdict) {
  const prev = record.analysis.metrics[metric];
  const window: Measurement = {
    kind: 'counts',
    at: now,
    to: now,
    canary: { requests: 100, errors: 1 },
    stable: { requests: 100, errors: 1 },
  };
  const frozen = prev?.baseline && againstBaseline(window, prev.baseline);
  const measurement = frozen ? frozen.measurement : window;
  return {
    measurements: [...(prev?.measurements ?? []), ...(measurement ? [measurement] : [])].slice(-MAX_MEASUREMENTS),
    verdict,
    ...(frozen ? { baseline: frozen.baseline } : {}),
  };
}
