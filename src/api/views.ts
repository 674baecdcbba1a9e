/** Records and stored events as the API shows them (pure). */
import type { StoredEvent } from '../engine/events';
import type { RolloutRecord } from '../engine/record';
import { compilePlan } from '../plan/compile';
import type { Plan } from '../plan/schema';
import { describeStep } from '../strategies/canary';
import type { EventView, RolloutView } from './schemas';

const iso = (ms: number): string => new Date(ms).toISOString();

export function rolloutView(r: RolloutRecord): RolloutView {
  const plan = compilePlan(r.plan as Plan);
  const done = r.phase === 'Succeeded' || r.phase === 'Promoting';
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
    revisions: r.revisions,
    weight: r.weight,
    strategy: 'canary',
    router: plan.router.kind,
    steps: plan.steps.map((s, index) => ({
      index,
      description: describeStep(s),
      state:
        done || index < r.stepIndex
          ? 'done'
          : index === r.stepIndex && !r.firstDeploy && r.phase !== 'Pending'
            ? 'current'
            : 'pending',
    })),
    stepIndex: r.stepIndex,
    pause: r.pause ? { kind: r.pause.kind, since: iso(r.pause.since) } : undefined,
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
