/**
 * A tiny model of a cluster for the pure strategy: ReplicaSets whose pods become ready one tick after
 * they are asked for (or never), a router with a weight, a stable Service selector — driven by the same
 * action planner the engine uses. It records every change so tests can check the invariants.
 */
import { planActions } from '../../../src/engine/actions';
import type { RolloutRecord, RolloutEvent } from '../../../src/engine/record';
import { isTerminal } from '../../../src/engine/record';
import type { CompiledPlan } from '../../../src/plan/compile';
import { analysisActive, canaryStrategy } from '../../../src/strategies/canary';
import type { AnalysisOutcome, StrategyObserved } from '../../../src/strategies/strategy';
import type { Decision } from '../../../src/analysis/types';

export interface ClusterChange {
  at: number;
  kind: 'route' | 'replicas' | 'service';
  revision?: string;
  value: number | string;
  phase: string;
}

export interface SimOptions {
  /** The analysis answer at a time (default: pass). */
  analysis?: (now: number, record: RolloutRecord) => Decision;
  /** Revisions whose pods never become ready. */
  neverReady?: string[];
  tickMs?: number;
  maxMs?: number;
  /** Called before each tick; may return a new record (operations such as promote). */
  operate?: (record: RolloutRecord, now: number) => RolloutRecord | undefined;
}

export interface SimResult {
  record: RolloutRecord;
  changes: ClusterChange[];
  events: RolloutEvent[];
  phases: string[];
  endedAt: number;
}

export function initialRecord(plan: CompiledPlan, opts: { stable?: string; canary?: string } = {}): RolloutRecord {
  const stable = 'stable' in opts ? opts.stable : 's1';
  return {
    id: `${plan.namespace}.${plan.app}.1`,
    namespace: plan.namespace,
    app: plan.app,
    seq: 1,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    plan: {},
    template: {},
    revisions: { stable, canary: opts.canary ?? 'c1' },
    firstDeploy: stable === undefined,
    phase: 'Pending',
    message: 'created',
    stepIndex: 0,
    stepStartedAt: 0,
    weight: 0,
    analysis: { metrics: {} },
    attempt: 1,
  };
}

export function simulate(plan: CompiledPlan, start: RolloutRecord, opts: SimOptions = {}): SimResult {
  const tick = opts.tickMs ?? 1000;
  const maxMs = opts.maxMs ?? 3_600_000;
  const rs = new Map<string, { spec: number; ready: number }>();
  if (start.revisions.stable) rs.set(start.revisions.stable, { spec: plan.replicas, ready: plan.replicas });
  let routerWeight = 0;
  let stableService = plan.router.kind === 'replicaRatio' ? '*' : (start.revisions.stable ?? '');
  const changes: ClusterChange[] = [];
  const events: RolloutEvent[] = [];
  const phases: string[] = [start.phase];
  let record = start;
  let now = 0;
  for (; now <= maxMs; now += tick) {
    record = opts.operate?.(record, now) ?? record;
    // Pods asked for last tick are ready now (unless they never are).
    for (const [rev, s] of rs) if (!opts.neverReady?.includes(rev)) s.ready = s.spec;
    const view = (rev: string | undefined) =>
      rev && rs.has(rev)
        ? { revision: rev, specReplicas: rs.get(rev)!.spec, readyReplicas: rs.get(rev)!.ready }
        : undefined;
    const observed: StrategyObserved = {
      stable: view(record.revisions.stable),
      canary: view(record.revisions.canary),
      others: [...rs.keys()]
        .filter((r) => r !== record.revisions.stable && r !== record.revisions.canary)
        .map((r) => view(r)!),
      stableServiceRevision: stableService,
      routerAtWeight: plan.router.kind === 'replicaRatio' ? undefined : routerWeight === record.weight,
    };
    let analysis: AnalysisOutcome | undefined;
    if (analysisActive(plan, record) && now >= (record.analysis.lastAt ?? 0) + plan.analysis.intervalMs) {
      const decision = opts.analysis?.(now, record) ?? 'pass';
      const verdict = { metric: 'm', decision, reason: `simulated ${decision}`, evidence: {} };
      analysis = { decision, reason: verdict.reason, verdicts: [verdict] };
      record = {
        ...record,
        analysis: { ...record.analysis, lastAt: now, metrics: { m: { measurements: [], verdict } } },
      };
    }
    const out = canaryStrategy.decide({ plan, record, observed, analysis, now });
    record = out.record;
    events.push(...out.events);
    if (phases[phases.length - 1] !== record.phase) phases.push(record.phase);
    const desired = canaryStrategy.desired(plan, record, observed, now);
    let verified: boolean | undefined;
    for (const a of planActions(desired, observed)) {
      switch (a.kind) {
        case 'ensureStableService':
          if (stableService !== a.revision)
            changes.push({ at: now, kind: 'service', value: a.revision, phase: record.phase });
          stableService = a.revision;
          break;
        case 'ensureCanaryService':
          break;
        case 'scaleUp': {
          const cur = rs.get(a.revision) ?? { spec: 0, ready: 0 };
          if (cur.spec !== a.replicas)
            changes.push({ at: now, kind: 'replicas', revision: a.revision, value: a.replicas, phase: record.phase });
          rs.set(a.revision, { spec: a.replicas, ready: Math.min(cur.ready, a.replicas) });
          break;
        }
        case 'route':
          if (plan.router.kind !== 'replicaRatio') {
            if (routerWeight !== a.weight)
              changes.push({ at: now, kind: 'route', value: a.weight, phase: record.phase });
            routerWeight = a.weight;
            verified = true;
          }
          break;
        case 'scaleDown': {
          if (a.afterRoute && verified === false) break;
          const cur = rs.get(a.revision);
          if (cur && cur.spec !== a.replicas) {
            changes.push({ at: now, kind: 'replicas', revision: a.revision, value: a.replicas, phase: record.phase });
            rs.set(a.revision, { spec: a.replicas, ready: Math.min(cur.ready, a.replicas) });
          }
          break;
        }
      }
    }
    if (isTerminal(record.phase) && canaryStrategy.nextWakeup(plan, record, now) === Infinity) break;
  }
  return { record, changes, events, phases, endedAt: now };
}
