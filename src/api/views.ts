/** Records and stored events as the API shows them (pure); the strategy describes its own progress. */
import type { StoredEvent } from '../engine/events';
import type { RolloutRecord } from '../engine/record';
import { compilePlan } from '../plan/compile';
import { bindStrategy } from '../strategies/registry';
import type { EventView, RolloutView } from './schemas';

const iso = (ms: number): string => new Date(ms).toISOString();

export function rolloutView(r: RolloutRecord): RolloutView {
  const plan = compilePlan(r.plan);
  const progress = bindStrategy(plan).describe(r);
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.app,
    attempt: r.attempt,
    phase: r.phase,
    outcome: r.outcome,
    message: r.message,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    ...(r.createdBy ? { createdBy: r.createdBy } : {}),
    ...(r.undoOf ? { undoOf: r.undoOf } : {}),
    ...(r.adoption ? { adoption: { ...r.adoption } } : {}),
    ...(r.release ? { release: { ...r.release } } : {}),
    images: (r.template ?? r.plan.spec.template)?.spec?.containers.map((c) => c.image ?? '') ?? [],
    revisions: r.revisions,
    weight: progress.traffic.target.weight,
    strategy: progress.strategy,
    newRole: progress.newRole,
    router: plan.strategy.router.key,
    steps: progress.steps,
    stepIndex: progress.stepIndex,
    traffic: progress.traffic,
    pods: progress.revisions,
    pause: r.pause ? { kind: r.pause.kind, since: iso(r.pause.since) } : undefined,
    ...(progress.waitUntil !== undefined ? { waitUntil: iso(progress.waitUntil) } : {}),
    analysis: {
      metrics: plan.analysis.metrics.map((m) => {
        const v = r.analysis.metrics[m.name]?.verdict;
        return { name: m.name, decision: v?.decision, reason: v?.reason, evidence: v?.evidence };
      }),
    },
    version: r.version,
  };
}

export function eventView(e: StoredEvent): EventView {
  const { at, type, message, phase, step, weight, verdicts } = e.event;
  return {
    id: e.id,
    at: iso(at),
    type,
    message,
    phase,
    step,
    weight,
    verdicts: verdicts?.map((v) => ({ name: v.metric, decision: v.decision, reason: v.reason, evidence: v.evidence })),
  };
}
