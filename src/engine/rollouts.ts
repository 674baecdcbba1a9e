/**
 * Starting rollouts and operating on them (promote, promote --full, abort, pause, resume, retry): each
 * is one compare-and-set on the record followed by a reconcile job for the new version. The API and
 * the CLI call these; only workers touch the cluster's write side.
 */
import {
  InvalidOperationError,
  KubeNotFoundError,
  PlanValidationError,
  RolloutNotFoundError,
  type FieldProblem,
} from '../errors';
import type { Plan } from '../plan/schema';
import { compilePlan, type CompiledPlan } from '../plan/compile';
import { routerContext } from './routing';
import { createRouter } from '../kube/routers/registry';
import { bindStrategy } from '../strategies/registry';
import type { Operation as StrategyOperation } from '../strategies/strategy';
import type { EngineDeps } from './deps';
import { enforcePlanPodPolicy } from '../policy/enforce';
import { RECORD_SCHEMA_VERSION, type RolloutEvent, type RolloutRecord } from './record';
import { checkDeployments } from './deploymentPreflight';
import { startRelease } from './release';
import { steadyServices } from '../strategies/handover';

/** Operations on a rollout: the strategy's, and retry (a new rollout with the same plan). */
export type Operation = StrategyOperation | 'retry';

/**
 * Checks a plan against the cluster and the metric provider: everything that would fail later, now —
 * including plain Deployments whose pods Ramp's Services would reach (src/engine/deploymentPreflight.ts)
 * and the Deployment `spec.adopt` names.
 */
export async function preflight(
  deps: Pick<EngineDeps, 'kube' | 'provider' | 'podPolicy'>,
  plan: CompiledPlan,
  source: Plan,
): Promise<void> {
  const problems: FieldProblem[] = [];
  let namespaceExists = true;
  try {
    await deps.kube.call('get', 'namespaces', (o) => deps.kube.core.readNamespace({ name: plan.namespace }, o));
  } catch (e) {
    if (!(e instanceof KubeNotFoundError)) throw e;
    namespaceExists = false;
    problems.push({ path: 'metadata.namespace', message: `namespace "${plan.namespace}" does not exist` });
  }
  const strategy = bindStrategy(plan);
  const { key, router } = plan.strategy;
  const routerPath = `spec.strategy.${key}.router.${router.key}`;
  const planned = strategy.plannedTraffic();
  for (const p of await createRouter(router, deps.kube).check(routerContext(plan, strategy), planned))
    problems.push({ path: p.path ? `${routerPath}.${p.path}` : routerPath, message: p.message });
  if (namespaceExists) {
    const layout = steadyServices(strategy, newRecord(source, plan, 0, 0, 1), PREFLIGHT_REVISIONS.stable);
    problems.push(...(await checkDeployments(deps.kube, deps.podPolicy, plan, layout.stable === '*')));
  }
  problems.push(...(await checkQueries(deps, plan)));
  if (problems.length) throw new PlanValidationError(problems);
}

/**
 * The plan's query metrics filled in as they will be for this rollout (its namespace, app, interval; the
 * revisions as a worker will resolve them) and checked by the provider, so a misplaced placeholder or a
 * query the provider refuses is refused now, with its field path.
 */
async function checkQueries(deps: Pick<EngineDeps, 'provider'>, plan: CompiledPlan): Promise<FieldProblem[]> {
  if (plan.analysis.metrics.length === 0) return [];
  // Throws PlanValidationError naming spec.analysis.provider when the operator has no such provider.
  const provider = deps.provider(plan);
  const vars = {
    namespace: plan.namespace,
    app: plan.app,
    canaryRevision: PREFLIGHT_REVISIONS.new,
    stableRevision: PREFLIGHT_REVISIONS.stable,
    revisionLabel: plan.analysis.revisionLabel,
    intervalMs: plan.analysis.intervalMs,
  };
  const problems: FieldProblem[] = [];
  for (const [i, m] of plan.analysis.metrics.entries()) {
    if (m.query === undefined) continue;
    const path = `spec.analysis.metrics[${i}].query`;
    let query: string;
    try {
      query = provider.renderQuery(m.query, vars, path);
    } catch (e) {
      if (e instanceof PlanValidationError) problems.push(...e.problems);
      else throw e;
      continue;
    }
    const v = await provider.validate(query, { namespace: plan.namespace });
    if (v.ok === false) problems.push({ path, message: `the metric provider refuses the query: ${v.reason}` });
  }
  return problems;
}

/** Revisions the pre-flight fills queries with: the real ones are known only once a worker resolves them. */
const PREFLIGHT_REVISIONS = { new: 'bbbbbbbbbb', stable: 'cccccccccc' };

/** The record of a rollout just created: Pending at version 1, revisions still to be worked out by a worker. */
export function newRecord(
  plan: Plan,
  compiled: CompiledPlan,
  seq: number,
  now: number,
  attempt: number,
): RolloutRecord {
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: `${compiled.namespace}.${compiled.app}.${seq}`,
    namespace: compiled.namespace,
    app: compiled.app,
    seq,
    version: 1,
    createdAt: now,
    updatedAt: now,
    attempt,
    plan,
    template: plan.spec.template ?? null,
    revisions: { new: '' },
    firstDeploy: false,
    phase: 'Pending',
    message: 'waiting for a worker to start the rollout',
    analysis: { metrics: {} },
    strategy: bindStrategy(compiled).initialState(),
  };
}

/**
 * Validates and starts a rollout: refused (PlanValidationError) before anything is written when the
 * cluster or Prometheus says the plan cannot work; ActiveRolloutExistsError when the app already has
 * one running. `dryRun` stops after the checks and returns the record that would be created.
 */
export async function createRollout(
  deps: EngineDeps,
  plan: Plan,
  opts: { dryRun?: boolean; attempt?: number; createdBy?: string; undoOf?: string } = {},
): Promise<RolloutRecord> {
  const compiled = compilePlan(plan);
  enforcePlanPodPolicy(deps.podPolicy, plan);
  await preflight(deps, compiled, plan);
  const now = deps.clock();
  if (opts.dryRun) return newRecord(plan, compiled, 0, now, opts.attempt ?? 1);
  const seq = await deps.store.nextSeq(compiled.namespace, compiled.app);
  const fresh = {
    ...newRecord(plan, compiled, seq, now, opts.attempt ?? 1),
    ...(opts.createdBy ? { createdBy: opts.createdBy } : {}),
    ...(opts.undoOf ? { undoOf: opts.undoOf } : {}),
  };
  const created: RolloutEvent = {
    at: now,
    type: 'Created',
    message: `rollout ${fresh.id} created (attempt ${fresh.attempt})`,
    phase: fresh.phase,
  };
  const record = await deps.store.create(fresh, [created]);
  await deps.queue.enqueue(record.id, record.version);
  await notify(deps, record, [created]);
  deps.metrics?.transitions.inc({ phase: 'Pending' });
  return record;
}

/** The record after an operation (pure), with the events that tell it; InvalidOperationError when it does not fit. */
export function applyOperation(
  plan: CompiledPlan,
  r: RolloutRecord,
  op: StrategyOperation,
  now: number,
): { record: RolloutRecord; events: RolloutEvent[]; unchanged?: string } {
  const strategy = bindStrategy(plan);
  const next = strategy.operate(r, op, now);
  return { ...next, events: strategy.place(next.record, next.events) };
}

/** A rollout after an operation; `unchanged` says why nothing changed when it was already where asked. */
export interface OperationResult {
  record: RolloutRecord;
  unchanged?: string;
}

/** Applies an operation to a rollout (or, for retry, starts its next attempt) and wakes a worker. */
export async function operate(deps: EngineDeps, id: string, op: Operation): Promise<OperationResult> {
  const current = await deps.store.get(id);
  if (!current) throw new RolloutNotFoundError(id);
  const plan = current.plan;
  if (op === 'retry') {
    if (current.phase !== 'RolledBack' && current.phase !== 'Failed')
      throw new InvalidOperationError(
        current.id,
        op,
        current.phase,
        'only a rolled-back or failed rollout can be retried',
      );
    const next = current.release
      ? await startRelease(deps, current.namespace, current.app, { attempt: current.attempt + 1 })
      : await createRollout(deps, plan, { attempt: current.attempt + 1 });
    await deps.events.append(current.id, {
      at: deps.clock(),
      type: 'Operation',
      message: `retry: started ${next.id}`,
      phase: current.phase,
    });
    return { record: next };
  }
  const compiled = compilePlan(plan);
  let unchanged: string | undefined;
  let told: readonly RolloutEvent[] = [];
  const committed = await deps.store.mutate(id, (r) => {
    const t = applyOperation(compiled, r, op, deps.clock());
    unchanged = t.unchanged;
    told = t.events;
    return t.unchanged ? undefined : t;
  });
  if (unchanged) return { record: committed, unchanged };
  await deps.queue.enqueue(id, committed.version);
  await notify(deps, committed, told);
  return { record: committed };
}

/** Queues the operator's notifications of a committed change; best effort (the change stands either way). */
async function notify(deps: EngineDeps, record: RolloutRecord, events: readonly RolloutEvent[]): Promise<void> {
  await deps.notifications
    ?.enqueue(record, events)
    .catch((err: unknown) => deps.logger.warn({ err, rolloutId: record.id }, 'could not queue notifications'));
}
