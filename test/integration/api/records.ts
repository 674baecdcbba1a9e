/** Rollout records and events written straight to the store, for API tests that need no cluster. */
import type { EngineDeps } from '../../../src/engine/deps';
import { newRecord } from '../../../src/engine/rollouts';
import { compilePlan } from '../../../src/plan/compile';
import type { Phase, RolloutEvent, RolloutRecord } from '../../../src/engine/record';
import { validatePlan } from '../../../src/plan/parse';
import type { Plan } from '../../../src/plan/schema';

/** A small valid plan for app `app` in `ns` (replicaRatio router: 5 replicas give weights in 20s; no metrics). */
export function smallPlan(
  ns: string,
  app: string,
  steps: unknown[] = [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }],
): Plan {
  return validatePlan(smallPlanInput(ns, app, steps));
}

/** The same plan as plain input (what a client sends). */
export function smallPlanInput(
  ns: string | undefined,
  app: string,
  steps: unknown[] = [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }],
): Record<string, unknown> {
  return {
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: ns === undefined ? { name: app } : { name: app, namespace: ns },
    spec: {
      replicas: 5,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [{ name: 'app', image: 'ramp.dev/demo-app:v2', ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      },
      service: { name: app, port: 80, targetPort: 'http' },
      strategy: { canary: { steps } },
    },
  };
}

/** Stores a rollout record as the engine would create it, then moves it to `phase` (with an event per change). */
export async function storeRollout(
  deps: EngineDeps,
  ns: string,
  app: string,
  phase: Phase = 'Pending',
  more: Partial<RolloutRecord> = {},
): Promise<RolloutRecord> {
  const seq = await deps.store.nextSeq(ns, app);
  const now = Date.now();
  const plan = smallPlan(ns, app);
  // As the engine creates it, with revisions as if a worker had already worked them out.
  const created = await deps.store.create({
    ...newRecord(plan, compilePlan(plan), seq, now, 1),
    revisions: { new: 'abc123def0', stable: 'fedcba9876' },
  });
  await deps.events.append(created.id, {
    at: now,
    type: 'Created',
    message: `rollout ${created.id} created`,
    phase: 'Pending',
  });
  if (phase === 'Pending' && Object.keys(more).length === 0) return created;
  return setPhase(deps, created, phase, more);
}

/** Commits a phase change (and what else is given), without an event. */
export async function setPhase(
  deps: EngineDeps,
  record: RolloutRecord,
  phase: Phase,
  more: Partial<RolloutRecord> = {},
): Promise<RolloutRecord> {
  const outcome =
    phase === 'Succeeded'
      ? 'promoted'
      : phase === 'RolledBack'
        ? 'rolledBack'
        : phase === 'Failed'
          ? 'failed'
          : undefined;
  const next: RolloutRecord = { ...record, phase, outcome, message: `now ${phase}`, ...more };
  const result = await deps.store.update(record.id, record.version, next);
  if (result !== 'ok') throw new Error(`could not move ${record.id} to ${phase}: ${result}`);
  return (await deps.store.get(record.id)) as RolloutRecord;
}

/** Appends an event; returns its stream id. */
export function addEvent(
  deps: EngineDeps,
  id: string,
  type: RolloutEvent['type'],
  phase?: Phase,
  message = `${type} happened`,
): Promise<string> {
  return deps.events.append(id, { at: Date.now(), type, message, phase });
}
