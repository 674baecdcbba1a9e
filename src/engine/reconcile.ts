/**
 * One reconcile of one rollout, as a flat list of steps over one context: load the record, observe the
 * cluster, resolve a new rollout's revisions, check the router, run due analysis, let the strategy
 * decide, commit with compare-and-set, then make the cluster match the committed record. Running it
 * twice, or crashing anywhere in it and running it again, gives the same cluster: the actions are a
 * pure function of the committed record and what is observed, and writes that change nothing are not
 * made.
 */
import type { Logger } from 'pino';
import { LABELS } from '../kube/names';
import { observe, type Observed } from '../kube/observe';
import type { RouterContext } from '../kube/routers/trafficRouter';
import { compilePlan, type CompiledPlan } from '../plan/compile';
import type { Plan } from '../plan/schema';
import { canaryStrategy, CONVERGE_POLL_MS } from '../strategies/canary';
import type { AnalysisOutcome, StrategyObserved } from '../strategies/strategy';
import { planActions } from './actions';
import { runAnalysis, trafficAt } from './analysisRun';
import { applyActions } from './applyActions';
import type { EngineDeps } from './deps';
import { isTerminal, type RolloutEvent, type RolloutRecord } from './record';
import { resolveRevisions } from './resolve';

export type ReconcileResult =
  | { kind: 'missing' }
  /** The record moved on since this job was queued; the job for its version does the work. */
  | { kind: 'stale'; currentVersion: number }
  /** Lost the compare-and-set to another writer (an operation, another worker): recompute from the new record. */
  | { kind: 'conflict' }
  | { kind: 'done'; record: RolloutRecord; committed: boolean; requeueAt: number; changes: string[] };

interface Context {
  deps: EngineDeps;
  log: Logger;
  now: number;
  loaded: RolloutRecord;
  plan: Plan;
  compiled: CompiledPlan;
  routerCtx: RouterContext;
  next: RolloutRecord;
  events: RolloutEvent[];
  observed?: Observed;
  view?: StrategyObserved;
  /** The weight the router was verified to be at in this reconcile. */
  routerAt?: number;
  analysis?: AnalysisOutcome;
}

function comparable(r: RolloutRecord): string {
  const { version: _v, updatedAt: _u, ...rest } = r;
  return JSON.stringify(rest);
}

/** What the strategy needs of the observed cluster. */
export function strategyView(o: Observed, r: RolloutRecord): StrategyObserved {
  const view = (rev: string | undefined) => {
    const rs = rev ? o.replicaSets.find((x) => x.revision === rev) : undefined;
    return rs
      ? { revision: rs.revision, specReplicas: rs.replicas, readyReplicas: rs.status.readyReplicas }
      : undefined;
  };
  return {
    stable: view(r.revisions.stable),
    canary: view(r.revisions.canary),
    others: o.replicaSets
      .filter((rs) => rs.revision !== r.revisions.stable && rs.revision !== r.revisions.canary)
      .map((rs) => ({ revision: rs.revision, specReplicas: rs.replicas, readyReplicas: rs.status.readyReplicas })),
    stableServiceRevision: o.service ? (o.service.selector[LABELS.revision] ?? '*') : undefined,
  };
}

async function observeCluster(c: Context): Promise<void> {
  c.observed = await observe(c.deps.kube, {
    namespace: c.compiled.namespace,
    app: c.compiled.app,
    serviceName: c.compiled.service.name,
    canaryServiceName: c.compiled.service.canaryName,
  });
}

/** A new rollout: find the stable revision, fix the new one, and make sure no stale route sends traffic to an old canary. */
async function resolvePending(c: Context): Promise<void> {
  if (c.next.phase !== 'Pending' || !c.observed) return;
  const r = resolveRevisions(c.plan, c.next, c.observed, c.now);
  c.next = r.record;
  c.events.push(...r.events);
  if (r.ok && !c.next.firstDeploy && c.compiled.router.kind !== 'replicaRatio')
    await c.deps.router(c.compiled.router.kind).reset(c.routerCtx);
}

async function checkRouter(c: Context): Promise<void> {
  if (!c.observed) return;
  c.view = strategyView(c.observed, c.next);
  // Only routers that can tell, and only once there is a stable revision to route between.
  if (
    c.compiled.router.kind === 'replicaRatio' ||
    c.next.firstDeploy ||
    !c.next.revisions.stable ||
    c.next.phase === 'Pending' ||
    isTerminal(c.next.phase)
  )
    return;
  c.view.routerAtWeight = await c.deps.router(c.compiled.router.kind).verify(c.routerCtx, c.next.weight);
  if (c.view.routerAtWeight === true) c.routerAt = c.next.weight;
}

async function analyse(c: Context): Promise<void> {
  const r = await runAnalysis(c.deps, c.compiled, c.next, c.now, trafficAt(c.next.weight, c.routerAt));
  c.next = r.record;
  c.analysis = r.outcome;
  if (r.outcome) c.log.debug({ analysis: r.outcome.decision, reason: r.outcome.reason }, 'analysis');
}

function decide(c: Context): void {
  if (!c.view) return;
  const out = canaryStrategy.decide({
    plan: c.compiled,
    record: c.next,
    observed: c.view,
    analysis: c.analysis,
    now: c.now,
  });
  c.next = out.record;
  c.events.push(...out.events);
  // An Analysis event when a metric's decision changes, not every interval.
  if (c.analysis && describeVerdicts(c.loaded) !== describeVerdicts(c.next)) {
    c.events.push({
      at: c.now,
      type: 'Analysis',
      message: c.analysis.reason,
      phase: c.next.phase,
      step: c.next.stepIndex,
      weight: c.next.weight,
      verdicts: c.analysis.verdicts,
    });
  }
}

function describeVerdicts(r: RolloutRecord): string {
  return Object.entries(r.analysis.metrics)
    .map(([k, m]) => `${k}:${m.verdict?.decision ?? '-'}`)
    .join(',');
}

/** Commits the next record; undefined when another writer got there first. */
async function commit(c: Context): Promise<RolloutRecord | undefined> {
  if (comparable(c.next) === comparable(c.loaded)) return c.loaded;
  // The events go in the same compare-and-set as the change they tell of.
  const result = await c.deps.store.update(c.loaded.id, c.loaded.version, c.next, c.events);
  if (result !== 'ok') return undefined;
  const committed = { ...c.next, version: c.loaded.version + 1 };
  if (committed.phase !== c.loaded.phase) {
    c.deps.metrics?.transitions.inc({ phase: committed.phase });
    c.log.info({ from: c.loaded.phase, to: committed.phase, message: committed.message }, 'phase changed');
  }
  if (committed.outcome && !c.loaded.outcome) c.deps.metrics?.outcomes.inc({ outcome: committed.outcome });
  return committed;
}

async function applyDesired(c: Context, committed: RolloutRecord): Promise<{ changes: string[]; waited: boolean }> {
  // Nothing to act on before the new revision is known (or when it never was: a failed start).
  if (!c.observed || !c.view || committed.phase === 'Pending' || !committed.revisions.canary)
    return { changes: [], waited: false };
  // A rollout that ended before a newer one began must not touch what the newer one runs.
  if (isTerminal(committed.phase) && isTerminal(c.loaded.phase)) {
    const active = await c.deps.store.getActive(committed.namespace, committed.app);
    if (active && active.id !== committed.id) return { changes: [], waited: false };
  }
  const view = { ...c.view, ...strategyView(c.observed, committed) };
  const desired = canaryStrategy.desired(c.compiled, committed, view, c.now);
  const result = await applyActions(
    { deps: c.deps, plan: c.compiled, record: committed, observed: c.observed, routerCtx: c.routerCtx },
    planActions(desired, view, c.routerAt),
  );
  if (result.changed.length) c.log.info({ changes: result.changed }, 'cluster updated');
  return { changes: result.changed, waited: result.waitedOnRouter };
}

/** Reconciles rollout `id` as of record `version` (the job's). */
export async function reconcile(deps: EngineDeps, id: string, version: number): Promise<ReconcileResult> {
  const loaded = await deps.store.get(id);
  if (!loaded) return { kind: 'missing' };
  if (loaded.version !== version) return { kind: 'stale', currentVersion: loaded.version };
  const now = deps.clock();
  const plan = loaded.plan as Plan;
  const compiled = compilePlan(plan);
  if (isTerminal(loaded.phase) && loaded.scaleDownAt === undefined)
    return { kind: 'done', record: loaded, committed: false, requeueAt: Infinity, changes: [] };
  const c: Context = {
    deps,
    log: deps.logger.child({ rolloutId: id }),
    now,
    loaded,
    plan,
    compiled,
    routerCtx: {
      namespace: compiled.namespace,
      app: compiled.app,
      service: { name: compiled.service.name, canaryName: compiled.service.canaryName, port: compiled.service.port },
      httpRoute: compiled.router.httpRoute,
    },
    next: loaded,
    events: [],
  };
  await observeCluster(c);
  await resolvePending(c);
  await checkRouter(c);
  await analyse(c);
  decide(c);
  const committed = await commit(c);
  if (!committed) return { kind: 'conflict' };
  const applied = await applyDesired(c, committed);
  let requeueAt = canaryStrategy.nextWakeup(compiled, committed, now);
  // Something moved, or the router held a step back: look again soon rather than at the next timer.
  if (applied.changes.length || applied.waited) requeueAt = Math.min(requeueAt, now + CONVERGE_POLL_MS);
  return { kind: 'done', record: committed, committed: committed !== loaded, requeueAt, changes: applied.changes };
}
