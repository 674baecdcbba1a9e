/**
 * Starting rollouts and operating on them (promote, promote --full, abort, pause, resume, retry): each
 * is one compare-and-set on the record followed by a reconcile job for the new version. The API and
 * the CLI call these; only workers touch the cluster's write side.
 */
import type { Plan } from '../plan/schema';
import { compilePlan, type CompiledPlan } from '../plan/compile';
import { PlanValidationError, type FieldProblem } from '../errors/planValidationError';
import { InvalidOperationError } from '../errors/invalidOperationError';
import { RolloutNotFoundError } from '../errors/rolloutNotFoundError';
import { RouteNotFoundError } from '../errors/routeNotFoundError';
import { KubeNotFoundError } from '../errors/kubeNotFoundError';
import { enterStep, startPromotion, startRollback } from '../strategies/canary';
import type { EngineDeps } from './deps';
import { isTerminal, type RolloutEvent, type RolloutRecord } from './record';

export type Operation = 'promote' | 'promoteFull' | 'abort' | 'pause' | 'resume' | 'retry';

/** Checks a plan against the cluster and the metric provider: everything that would fail later, now. */
export async function preflight(deps: Pick<EngineDeps, 'kube' | 'provider'>, plan: CompiledPlan): Promise<void> {
  const problems: FieldProblem[] = [];
  try {
    await deps.kube.call('get', 'namespaces', (o) => deps.kube.core.readNamespace({ name: plan.namespace }, o));
  } catch (e) {
    if (e instanceof KubeNotFoundError)
      problems.push({ path: 'metadata.namespace', message: `namespace "${plan.namespace}" does not exist` });
    else throw e;
  }
  if (plan.router.kind === 'gatewayApi' && plan.router.httpRoute) {
    try {
      await deps.kube.call('get', 'httproutes', (o) =>
        deps.kube.custom.getNamespacedCustomObject(
          {
            group: 'gateway.networking.k8s.io',
            version: 'v1',
            namespace: plan.namespace,
            plural: 'httproutes',
            name: plan.router.httpRoute ?? '',
          },
          o,
        ),
      );
    } catch (e) {
      if (e instanceof KubeNotFoundError)
        problems.push({
          path: 'spec.strategy.canary.router.gatewayApi.httpRoute',
          message: new RouteNotFoundError(plan.namespace, plan.router.httpRoute).message,
        });
      else throw e;
    }
  }
  const queries = plan.analysis.metrics.map((m, i) => ({ m, i })).filter(({ m }) => m.query !== undefined);
  // Throws PlanValidationError when the plan has metrics but neither it nor the worker names a Prometheus.
  const provider = plan.analysis.metrics.length ? deps.provider(plan) : undefined;
  if (provider) {
    for (const { m, i } of queries) {
      const probe = (m.query ?? '').replace(/\{\{[^}]*\}\}/g, 'x');
      const v = await provider.validate(probe);
      if (v.ok === false)
        problems.push({
          path: `spec.analysis.metrics[${i}].query`,
          message: `Prometheus refuses the query: ${v.reason}`,
        });
    }
  }
  if (problems.length) throw new PlanValidationError(problems);
}

/** The record of a rollout just created: Pending at version 1, revisions still to be worked out by a worker. */
export function newRecord(
  plan: Plan,
  compiled: CompiledPlan,
  seq: number,
  now: number,
  attempt: number,
): RolloutRecord {
  return {
    id: `${compiled.namespace}.${compiled.app}.${seq}`,
    namespace: compiled.namespace,
    app: compiled.app,
    seq,
    version: 1,
    createdAt: now,
    updatedAt: now,
    plan,
    template: plan.spec.template ?? null,
    revisions: { canary: '' },
    firstDeploy: false,
    phase: 'Pending',
    message: 'waiting for a worker to start the rollout',
    stepIndex: 0,
    stepStartedAt: now,
    weight: 0,
    analysis: { metrics: {} },
    attempt,
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
  opts: { dryRun?: boolean; attempt?: number } = {},
): Promise<RolloutRecord> {
  const compiled = compilePlan(plan);
  await preflight(deps, compiled);
  const now = deps.clock();
  if (opts.dryRun) return newRecord(plan, compiled, 0, now, opts.attempt ?? 1);
  const seq = await deps.store.nextSeq(compiled.namespace, compiled.app);
  const fresh = newRecord(plan, compiled, seq, now, opts.attempt ?? 1);
  const record = await deps.store.create(fresh, [
    { at: now, type: 'Created', message: `rollout ${fresh.id} created (attempt ${fresh.attempt})`, phase: fresh.phase },
  ]);
  await deps.queue.enqueue(record.id, record.version);
  deps.metrics?.transitions.inc({ phase: 'Pending' });
  return record;
}

function refuse(r: RolloutRecord, op: Operation, why: string): never {
  throw new InvalidOperationError(r.id, op, r.phase, why);
}

/** The record after an operation (pure), with the event that tells it. */
export function applyOperation(
  plan: CompiledPlan,
  r: RolloutRecord,
  op: Operation,
  now: number,
): { record: RolloutRecord; events: RolloutEvent[] } {
  if (isTerminal(r.phase)) refuse(r, op, op === 'retry' ? 'retry starts a new rollout' : 'the rollout has finished');
  const note = (record: RolloutRecord, message: string, more: RolloutEvent[] = []) => ({
    record,
    events: [
      {
        at: now,
        type: 'Operation' as const,
        message,
        phase: record.phase,
        step: record.stepIndex,
        weight: record.weight,
      },
      ...more,
    ],
  });
  switch (op) {
    case 'promote': {
      if (r.phase !== 'Progressing' && r.phase !== 'Paused')
        refuse(r, op, 'only a progressing or paused rollout can be promoted a step');
      if (r.firstDeploy) refuse(r, op, 'a first deploy has no steps');
      const next =
        r.stepIndex >= plan.steps.length ? startPromotion(r, now, false) : enterStep(plan, r, r.stepIndex + 1, now);
      return note(next.record, `promote: skipped step ${r.stepIndex + 1}`, next.events);
    }
    case 'promoteFull': {
      if (r.phase !== 'Progressing' && r.phase !== 'Paused' && r.phase !== 'Pending')
        refuse(r, op, 'only a rollout that has not started promoting or rolling back can be promoted');
      if (r.phase === 'Pending') refuse(r, op, 'the rollout has not started yet; try again in a moment');
      const next = startPromotion(r, now, true);
      return note(next.record, 'promote --full: skipping the remaining steps and analysis', next.events);
    }
    case 'abort': {
      if (r.phase === 'RollingBack') refuse(r, op, 'it is already rolling back');
      const next = startRollback(r, 'aborted by request', now, true);
      return note(next.record, 'abort: rolling back', next.events);
    }
    case 'pause': {
      if (r.phase !== 'Progressing') refuse(r, op, 'only a progressing rollout can be paused');
      const record: RolloutRecord = {
        ...r,
        phase: 'Paused',
        pause: { kind: 'user', since: now },
        message: 'paused by request',
      };
      return note(record, 'pause: paused by request');
    }
    case 'resume': {
      if (r.phase !== 'Paused') refuse(r, op, 'the rollout is not paused');
      if (r.pause?.kind === 'step') refuse(r, op, 'it waits at a pause step: use promote to go on');
      const record: RolloutRecord = {
        ...r,
        phase: 'Progressing',
        pause: undefined,
        analysis: { ...r.analysis, inconclusiveSince: undefined },
        message: 'resumed by request',
      };
      return note(record, 'resume: progressing again');
    }
    case 'retry':
      return refuse(r, op, 'only a rolled-back or failed rollout can be retried');
  }
}

/** Applies an operation to a rollout (or, for retry, starts its next attempt) and wakes a worker. */
export async function operate(deps: EngineDeps, id: string, op: Operation): Promise<RolloutRecord> {
  const current = await deps.store.get(id);
  if (!current) throw new RolloutNotFoundError(id);
  const plan = current.plan as Plan;
  if (op === 'retry') {
    if (current.phase !== 'RolledBack' && current.phase !== 'Failed')
      refuse(current, op, 'only a rolled-back or failed rollout can be retried');
    const next = await createRollout(deps, plan, { attempt: current.attempt + 1 });
    await deps.events.append(current.id, {
      at: deps.clock(),
      type: 'Operation',
      message: `retry: started ${next.id}`,
      phase: current.phase,
    });
    return next;
  }
  const compiled = compilePlan(plan);
  const committed = await deps.store.mutate(id, (r) => applyOperation(compiled, r, op, deps.clock()));
  await deps.queue.enqueue(id, committed.version);
  return committed;
}
