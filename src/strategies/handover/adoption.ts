/**
 * Adopting a plain Deployment (DESIGN §4, Adoption), as pure record transitions and desired states. The
 * Deployment keeps serving until Ramp can: Ramp's stable ReplicaSet is made from its pod template at its
 * size (its pods carry the Deployment's labels, so the Service clients call selects them as soon as they
 * are ready), the strategy's Services are pointed at that revision alone only once every pod is ready —
 * even where the strategy selects the whole app, so the Deployment's pods leave the Service before they
 * are asked to stop — and the Deployment is scaled to 0 only once the cluster shows the Services moved.
 * Until the switch nothing clients reach has changed, so a failure or an abort then just takes Ramp's
 * pods away again; after it the adoption goes on to the end, because going back would need the Service's
 * old selector, which Ramp never owned.
 */
import { DEPLOYMENT_ANNOTATIONS } from '../../kube/names';
import type { CompiledPlan } from '../../plan/compile';
import { formatDuration } from '../../plan/duration';
import { isTerminal } from '../../engine/phase';
import type { Adoption, RolloutRecord } from '../../engine/record';
import type { DeploymentTarget } from '../../kube/deploymentState';
import { failingPod, note, podFailureText, podsReady, revisionState, startRollback, transition } from '../lifecycle';
import type { DesiredState, RevisionRole, StrategyObserved, Transition } from '../strategy';

type R = RolloutRecord;

/** Which revision each role's Service selects once the app rests on one revision ('*': the whole app). */
export type ServiceLayout = Partial<Record<RevisionRole, string>>;

/** Whether adoption, not the strategy, decides for this record: from resolution until the handover is done. */
export function adoptionGoverns(record: R): record is R & { adoption: Adoption } {
  return record.adoption !== undefined && record.adoption.stage !== 'done';
}

/** The revision being adopted: the Deployment's template's, the record's stable one. */
function adopted(record: R): string {
  return record.revisions.stable ?? '';
}

function withStage(record: R & { adoption: Adoption }, stage: Adoption['stage']): R {
  return { ...record, adoption: { ...record.adoption, stage } };
}

/** Whether every Service of `layout` selects what it asks, as last observed. */
export function servicesAt(observed: StrategyObserved, layout: ServiceLayout): boolean {
  return Object.entries(layout).every(([role, rev]) => observed.services[role as RevisionRole] === rev);
}

/** Fails the adoption before the switch: Ramp's pods go again, the Deployment is untouched. */
function failBeforeSwitch(record: R & { adoption: Adoption }, why: string, now: number): Transition {
  const t = startRollback(record, why, now);
  const rollback = { since: now, reason: why, aborted: false, failed: true };
  const message = `adoption failed: ${why}; Deployment ${record.adoption.deployment} keeps serving, Ramp's pods are being removed`;
  return { record: { ...t.record, rollback, message }, events: [note(now, 'RollingBack', message, 'RollingBack')] };
}

/** The end of a cancelled adoption, once Ramp's pods are gone: aborted, or failed. */
function cancelled(record: R & { adoption: Adoption }, now: number): Transition {
  const d = record.adoption.deployment;
  const why = record.rollback?.reason ?? 'unknown reason';
  const next = { ...withStage(record, 'cancelled'), progressDeadlineAt: undefined };
  if (record.rollback?.failed) {
    const message = `failed: ${why}; Deployment ${d} serves the app as before`;
    return transition(next, { phase: 'Failed', outcome: 'failed', message }, 'Failed', now);
  }
  const message = `aborted before the switch: ${why}; Deployment ${d} serves the app as before`;
  return transition(next, { phase: 'RolledBack', outcome: 'aborted', message }, 'RolledBack', now);
}

function scaleUp(plan: CompiledPlan, record: R & { adoption: Adoption }, observed: StrategyObserved, now: number) {
  const { deployment: d, replicas } = record.adoption;
  const rev = adopted(record);
  if (record.phase === 'Pending') {
    const message = `adopting Deployment ${d}: revision ${rev} (its pod template) at ${replicas} replicas; ${d} serves until they are all ready`;
    const changes = { phase: 'Progressing' as const, progressDeadlineAt: now + plan.progressDeadlineMs, message };
    return transition(record, changes, 'StepStarted', now);
  }
  if (record.phase === 'RollingBack') {
    const left = revisionState(observed, rev)?.specReplicas ?? 0;
    return left === 0 ? cancelled(record, now) : { record, events: [] };
  }
  const failing = failingPod(observed, rev);
  if (failing) return failBeforeSwitch(record, podFailureText(record.namespace, failing), now);
  if (podsReady(observed, rev, replicas)) {
    const message = `adopting Deployment ${d}: revision ${rev} ready (${replicas}/${replicas}); pointing the Services at it`;
    return transition(withStage(record, 'switch'), { message }, 'StepStarted', now);
  }
  if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt) {
    const ready = revisionState(observed, rev)?.readyReplicas ?? 0;
    const within = formatDuration(plan.progressDeadlineMs);
    return failBeforeSwitch(record, `${ready}/${replicas} pods of revision ${rev} ready within ${within}`, now);
  }
  return { record, events: [] };
}

/** Where the adoption stopped when Ramp could not carry it on after the switch (nothing is undone). */
function failedAfterSwitch(record: R & { adoption: Adoption }, now: number): Transition {
  const { deployment: d, stage } = record.adoption;
  const why = record.rollback?.reason ?? 'unknown reason';
  const where =
    stage === 'switch'
      ? `Deployment ${d} and revision ${adopted(record)} both still run; the Services may not point at ${adopted(record)} yet`
      : `the Services point at revision ${adopted(record)}; Deployment ${d} may still have pods`;
  const message = `failed: ${why}; the adoption stopped at ${stage}: ${where}`;
  return transition(
    record,
    { phase: 'Failed', outcome: 'failed', progressDeadlineAt: undefined, message },
    'Failed',
    now,
  );
}

/**
 * One reconcile's decision while adoption governs. When the handover is done the record comes back with
 * stage `done`: the caller hands it to the strategy (whose start, or rollback end, follows).
 */
export function decideAdoption(
  plan: CompiledPlan,
  record: R & { adoption: Adoption },
  observed: StrategyObserved,
  layout: ServiceLayout,
  now: number,
): Transition {
  const { deployment: d, replicas, stage } = record.adoption;
  if (isTerminal(record.phase) || stage === 'cancelled') return { record, events: [] };
  if (stage === 'scaleUp') return scaleUp(plan, record, observed, now);
  if (record.rollback?.failed) return failedAfterSwitch(record, now);
  if (stage === 'switch') {
    if (!servicesAt(observed, layout)) return { record, events: [] };
    const message = `adopting Deployment ${d}: the Services point at revision ${adopted(record)}; scaling ${d} to 0`;
    return transition(withStage(record, 'handover'), { message }, 'StepStarted', now);
  }
  const dep = observed.deployment;
  // Gone is handed over too: a Deployment someone deleted has no pods left to serve.
  if (dep && !(dep.replicas === 0 && dep.adoptedBy === record.id)) return { record, events: [] };
  const message = `adopted Deployment ${d}: revision ${adopted(record)} serves its ${replicas} replicas; ${d} is at 0 (ramp release hands it back)`;
  const next = { ...withStage(record, 'done'), progressDeadlineAt: undefined, message };
  return { record: next, events: [note(now, 'Adopted', message, record.phase)] };
}

/** The cluster while adoption governs: the strategy's Services only from the switch on, no router change. */
export function desiredAdoption(record: R & { adoption: Adoption }, layout: ServiceLayout): DesiredState {
  const rev = adopted(record);
  const { stage, replicas } = record.adoption;
  const hold = { traffic: 'hold' as const };
  if (stage === 'cancelled' || (stage === 'scaleUp' && (record.phase === 'RollingBack' || isTerminal(record.phase))))
    return { replicaSets: [{ revision: rev, role: 'stable', replicas: 0 }], services: {}, ...hold };
  if (stage === 'scaleUp') return { replicaSets: [{ revision: rev, role: 'stable', replicas }], services: {}, ...hold };
  // Stopped after the switch: everything stays as it is for a person to look at.
  if (isTerminal(record.phase)) return { replicaSets: [], services: {}, retain: [rev], ...hold };
  return { replicaSets: [{ revision: rev, role: 'stable', replicas }], services: layout, ...hold };
}

/** What the adopted Deployment should be: at 0 and annotated once the Services have moved; undefined before. */
export function adoptionDeploymentTarget(record: R & { adoption: Adoption }): DeploymentTarget | undefined {
  if (record.adoption.stage !== 'handover' || isTerminal(record.phase)) return undefined;
  return {
    replicas: 0,
    annotations: {
      [DEPLOYMENT_ANNOTATIONS.adoptedBy]: record.id,
      [DEPLOYMENT_ANNOTATIONS.adoptedReplicas]: String(record.adoption.replicas),
    },
  };
}
