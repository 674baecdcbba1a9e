/**
 * One reconcile of one rollout, as a flat list of steps over one context: load the record, observe the
 * cluster, resolve a new rollout's revisions, check the router, run due analysis, let the strategy
 * decide, commit with compare-and-set, then make the cluster match the committed record. Running it
 * twice, or crashing anywhere in it and running it again, gives the same cluster: the actions are a
 * pure function of the committed record and what is observed, and writes that change nothing are not
 * made. The engine names no strategy and no router: it asks the plan's, through their registries.
 */
import type { Logger } from 'pino';
import { observe, type Observed } from '../kube/observe';
import { createRouter } from '../kube/routers/registry';
import type { RouterContext, TrafficRouter } from '../kube/routers/trafficRouter';
import { routerContext } from './routing';
import { compilePlan, type CompiledPlan } from '../plan/compile';
import { bindStrategy, type BoundStrategy } from '../strategies/registry';
import type { AnalysisOutcome, RevisionRole, StrategyObserved } from '../strategies/strategy';
import { describeTraffic, sameTraffic, STABLE_ONLY, trafficKey, type Traffic } from '../strategies/traffic';
import { planActions } from './actions';
import { announce } from './clusterEvents';
import { runAnalysis, trafficAt } from './analysisRun';
import { applyActions } from './applyActions';
import { clusterSnapshot, strategyView } from './clusterView';
import type { EngineDeps } from './deps';
import { isTerminal, type RolloutEvent, type RolloutRecord } from './record';
import { resolveRelease, resolveRevisions } from './resolve';
import { retirement, rolloutSettled, type Retirement } from './revisionHistory';
import { applyHandover, handoverDeployment } from './handoverSteps';
import { handoverGoverns, isRelease } from '../strategies/handover';

/** How soon to look again while the cluster converges (pods to become ready, the router to follow). */
export const CONVERGE_POLL_MS = 1000;

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
  plan: CompiledPlan;
  strategy: BoundStrategy;
  router: TrafficRouter;
  routerCtx: RouterContext;
  next: RolloutRecord;
  events: RolloutEvent[];
  observed?: Observed;
  view?: StrategyObserved;
  /** The traffic the router was asked about in checkRouter (its answer is view.trafficVerified). */
  checked?: Traffic;
  analysis?: AnalysisOutcome;
}

function comparable(r: RolloutRecord): string {
  const { version: _v, updatedAt: _u, ...rest } = r;
  return JSON.stringify(rest);
}

/** The Services the plan's strategy manages, by role. */
function serviceNames(c: Context): Partial<Record<RevisionRole, string>> {
  return Object.fromEntries(c.strategy.serviceRoles.map((role) => [role, c.plan.service.names[role]]));
}

async function observeCluster(c: Context): Promise<void> {
  c.observed = await observe(c.deps.kube, {
    namespace: c.plan.namespace,
    app: c.plan.app,
    services: serviceNames(c),
    deployment: handoverDeployment(c.loaded, c.plan),
  });
}

/** A new rollout: find the stable revision, fix the new one, and make sure no stale route sends traffic to an old canary. */
async function resolvePending(c: Context): Promise<void> {
  if (c.next.phase !== 'Pending' || !c.observed) return;
  const r = isRelease(c.next)
    ? resolveRelease(c.next, c.observed, c.now)
    : resolveRevisions(c.loaded.plan, c.next, c.observed, c.now, c.deps.podPolicy);
  c.next = r.record;
  c.events.push(...r.events);
  // A handover leaves the routing as it finds it: the strategy routes once it has the rollout.
  if (r.ok && !c.next.firstDeploy && !handoverGoverns(c.next)) await c.router.reset(c.routerCtx);
}

/** Asks the router whether it is at the record's traffic (only routers that can tell, only once there is something to route). */
async function checkRouter(c: Context): Promise<void> {
  if (!c.observed) return;
  const routing =
    !c.next.firstDeploy &&
    !handoverGoverns(c.next) &&
    c.next.revisions.stable &&
    c.next.phase !== 'Pending' &&
    !isTerminal(c.next.phase);
  if (routing && c.router.capabilities.verify) c.checked = c.strategy.traffic(c.next);
  const verified = c.checked ? await c.router.verify(c.routerCtx, c.checked) : undefined;
  const key = c.checked && trafficKey(c.checked);
  const before = c.loaded.cluster?.verifiedTraffic;
  // Confirmed before and not now, while the rollout asks for the same: not Ramp's change but someone else's.
  const edited = verified === false && key === before && (c.next.phase === 'Progressing' || c.next.phase === 'Paused');
  c.view = strategyView(c.observed, verified, edited);
  if (edited && !c.loaded.cluster?.routeEdited)
    c.events.push({
      at: c.now,
      type: 'Warning',
      message: `the routing was changed by someone else: the router no longer holds ${describeTraffic(c.checked ?? STABLE_ONLY)} as Ramp wrote it; Ramp leaves it as it is until the rollout is resumed or promoted`,
    });
  const confirmed = verified === true ? key : before;
  if (c.next.phase !== 'Pending')
    c.next = {
      ...c.next,
      cluster: {
        ...clusterSnapshot(c.observed, c.next, verified, confirmed),
        ...(edited ? { routeEdited: true } : {}),
      },
    };
}

async function analyse(c: Context): Promise<void> {
  const traffic = trafficAt(c.strategy.traffic(c.next), c.view?.trafficVerified);
  const r = await runAnalysis(c.deps, c.plan, c.strategy, c.next, c.now, traffic);
  c.next = r.record;
  c.analysis = r.outcome;
  if (r.outcome) c.log.debug({ analysis: r.outcome.decision, reason: r.outcome.reason }, 'analysis');
}

function decide(c: Context): void {
  if (!c.view) return;
  const out = c.strategy.decide({ record: c.next, observed: c.view, analysis: c.analysis, now: c.now });
  c.next = out.record;
  c.events.push(...out.events);
  // An Analysis event when a metric's decision changes, not every interval.
  if (c.analysis && describeVerdicts(c.loaded) !== describeVerdicts(c.next)) {
    const { phase } = c.next;
    const { reason, verdicts } = c.analysis;
    // A rollback or pause that began on this verdict already told its reason: not twice in a row.
    const told = out.events.some((e) => e.message.includes(reason));
    const message = told ? `verdicts: ${verdicts.map((v) => `${v.metric} ${v.decision}`).join(', ')}` : reason;
    c.events.push({ at: c.now, type: 'Analysis', message, phase, verdicts });
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
  const result = await c.deps.store.update(c.loaded.id, c.loaded.version, c.next, c.strategy.place(c.next, c.events));
  if (result !== 'ok') return undefined;
  const committed = { ...c.next, version: c.loaded.version + 1 };
  if (committed.phase !== c.loaded.phase) {
    c.deps.metrics?.transitions.inc({ phase: committed.phase });
    c.log.info({ from: c.loaded.phase, to: committed.phase, message: committed.message }, 'phase changed');
  }
  if (committed.outcome && !c.loaded.outcome) c.deps.metrics?.outcomes.inc({ outcome: committed.outcome });
  return committed;
}

/**
 * Old revisions to demote, and — once the rollout has settled and no newer rollout of the app has begun —
 * to delete beyond the plan's revisionHistoryLimit.
 */
async function retireOld(c: Context, committed: RolloutRecord, observed: Observed): Promise<Retirement> {
  let prune = rolloutSettled(committed);
  if (prune) {
    const active = await c.deps.store.getActive(committed.namespace, committed.app);
    prune = !active || active.id === committed.id;
  }
  const input = {
    app: c.plan.app,
    replicaSets: observed.replicaSets,
    pods: observed.pods,
    terminating: observed.terminating,
    record: committed,
    stableSelects: c.view?.services.stable,
    limit: c.plan.revisionHistoryLimit,
  };
  return retirement(input, { prune });
}

async function applyDesired(c: Context, committed: RolloutRecord): Promise<{ changes: string[]; waited: boolean }> {
  // Nothing to act on before the new revision is known (or when it never was: a failed start); a
  // release acts on the Deployment and the Service even when Ramp runs no revision any more.
  const releasing = isRelease(committed) && !isTerminal(committed.phase);
  if (!c.observed || !c.view || committed.phase === 'Pending' || (!committed.revisions.new && !releasing))
    return { changes: [], waited: false };
  // A rollout that ended before a newer one began must not touch what the newer one runs.
  if (isTerminal(committed.phase) && isTerminal(c.loaded.phase)) {
    const active = await c.deps.store.getActive(committed.namespace, committed.app);
    if (active && active.id !== committed.id) return { changes: [], waited: false };
  }
  const target = c.strategy.traffic(committed);
  // What checkRouter learnt still holds when the committed record asks for the same traffic.
  const verified = c.checked && sameTraffic(c.checked, target) ? c.view.trafficVerified : undefined;
  const desired = c.strategy.desired(committed, c.view, c.now);
  // A route someone else edited stays as they left it until a person says go on: never overwritten silently.
  if (c.view.routeEdited && (committed.phase === 'Progressing' || committed.phase === 'Paused'))
    desired.traffic = 'hold';
  const result = await applyActions(
    {
      deps: c.deps,
      plan: c.plan,
      record: committed,
      observed: c.observed,
      router: c.router,
      routerCtx: c.routerCtx,
      target,
      verified,
    },
    planActions(desired, c.view, verified ? target : undefined, await retireOld(c, committed, c.observed)),
  );
  result.changed.push(...(await applyHandover(c.deps, c.plan, committed, c.observed)));
  if (result.changed.length) c.log.info({ changes: result.changed }, 'cluster updated');
  return { changes: result.changed, waited: result.waited };
}

/** A committed change told where people look: Kubernetes Events, and the operator's notifiers. */
async function tell(c: Context, committed: RolloutRecord): Promise<void> {
  await announce(c.deps, committed, c.events, c.observed?.replicaSets, c.now);
  // Only queued here: delivery (and a slow receiver) is the notification worker's.
  await c.deps.notifications
    ?.enqueue(committed, c.events)
    .catch((err: unknown) => c.log.warn({ err }, 'could not queue notifications'));
}

/** What the worker knows beyond the record. */
export interface ReconcileOptions {
  /** Since when every reconcile of this rollout failed for a reason that passes (an outage): time it cannot count. */
  outageSince?: number;
}

/**
 * The progress deadline counts the time Ramp could act: an outage that kept every reconcile from going
 * through moves it on by the outage's length (the pods may well be ready; Ramp just could not look).
 */
function discountOutage(c: Context, outageSince: number | undefined): void {
  const deadline = c.next.progressDeadlineAt;
  if (outageSince === undefined || deadline === undefined || deadline <= outageSince) return;
  c.next = { ...c.next, progressDeadlineAt: deadline + (c.now - outageSince) };
}

/** Reconciles rollout `id` as of record `version` (the job's). */
export async function reconcile(
  deps: EngineDeps,
  id: string,
  version: number,
  opts: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const loaded = await deps.store.get(id);
  if (!loaded) return { kind: 'missing' };
  if (loaded.version !== version) return { kind: 'stale', currentVersion: loaded.version };
  if (isTerminal(loaded.phase) && loaded.scaleDownAt === undefined)
    return { kind: 'done', record: loaded, committed: false, requeueAt: Infinity, changes: [] };
  const plan = compilePlan(loaded.plan);
  const c: Context = {
    deps,
    log: deps.logger.child({ rolloutId: id }),
    now: deps.clock(),
    loaded,
    plan,
    strategy: bindStrategy(plan),
    router: createRouter(plan.strategy.router, deps.kube),
    routerCtx: routerContext(plan, bindStrategy(plan)),
    next: loaded,
    events: [],
  };
  discountOutage(c, opts.outageSince);
  await observeCluster(c);
  await resolvePending(c);
  await checkRouter(c);
  await analyse(c);
  decide(c);
  const committed = await commit(c);
  if (!committed) return { kind: 'conflict' };
  const applied = await applyDesired(c, committed);
  if (committed !== loaded) await tell(c, committed);
  let requeueAt = c.strategy.nextWakeup(committed, c.now);
  // Something moved, or a shrink waited for its conditions: look again soon rather than at the next timer.
  if (applied.changes.length || applied.waited) requeueAt = Math.min(requeueAt, c.now + CONVERGE_POLL_MS);
  return { kind: 'done', record: committed, committed: committed !== loaded, requeueAt, changes: applied.changes };
}
