/**
 * Handing an app over between a plain Deployment and Ramp — adoption before a strategy starts, release
 * afterwards — is the same for every strategy, so it wraps the bound strategy rather than living in each:
 * while a handover governs a record, its decisions, desired state and views are the handover's, and the
 * strategy's own (start, steps, rollback) take over once the Deployment has handed the app to Ramp. The
 * only thing asked of the strategy is where its Services point when the app rests on one revision.
 */
import { isTerminal } from '../../engine/phase';
import type { RolloutEvent, RolloutRecord } from '../../engine/record';
import type { DeploymentTarget, ObservedDeployment } from '../../kube/deploymentState';
import type { CompiledPlan } from '../../plan/compile';
import { already, operated, refuse, startRollback } from '../lifecycle';
import type { ProgressView } from '../progress';
import type { BoundStrategy } from '../registry';
import { STABLE_ONLY } from '../traffic';
import {
  adoptionDeploymentTarget,
  adoptionGoverns,
  decideAdoption,
  desiredAdoption,
  type ServiceLayout,
} from './adoption';
import { decideRelease, desiredRelease, isRelease, releaseDeploymentTarget, releaseServiceTarget } from './release';

export { adoptionGoverns } from './adoption';
export { isRelease } from './release';

/** How soon to look again while pods and Services converge during a handover. */
export const HANDOVER_POLL_MS = 1000;

/** Whether a handover (an adoption under way, or a release) decides for this record rather than the strategy. */
export function handoverGoverns(record: RolloutRecord): boolean {
  return isRelease(record) || adoptionGoverns(record);
}

/**
 * Where `strategy`'s Services point when the app rests on `revision` alone (a promoted rollout's): `*`
 * where they select the whole app (no router, or rolling), the revision otherwise.
 */
export function steadyServices(strategy: BoundStrategy, record: RolloutRecord, revision: string): ServiceLayout {
  const settled: RolloutRecord = {
    ...record,
    phase: 'Succeeded',
    outcome: 'promoted',
    revisions: { stable: revision, new: revision },
    firstDeploy: false,
    pause: undefined,
    rollback: undefined,
    scaleDownAt: undefined,
    adoption: undefined,
    release: undefined,
  };
  return strategy.desired(settled, { revisions: [], services: {} }, 0).services;
}

/** What the Deployment of a handover should be now, if anything. */
export function deploymentTarget(
  record: RolloutRecord,
  deployment: ObservedDeployment | undefined,
): { name: string; target: DeploymentTarget } | undefined {
  if (isRelease(record)) {
    const target = releaseDeploymentTarget(record, deployment);
    return target && { name: record.release.deployment, target };
  }
  if (!adoptionGoverns(record)) return undefined;
  const target = adoptionDeploymentTarget(record);
  return target && { name: record.adoption.deployment, target };
}

/**
 * The stable Service's selector a handover writes itself (a release's: the Deployment's pods alone, which
 * no revision names), when it asks for one now.
 */
export function serviceTarget(
  plan: CompiledPlan,
  record: RolloutRecord,
  deployment: ObservedDeployment | undefined,
): Record<string, string> | undefined {
  return isRelease(record) ? releaseServiceTarget(plan, record, deployment) : undefined;
}

/**
 * Where an adoption points the Services: the strategy's layout at rest, but on the adopted revision
 * alone where that layout selects the whole app — so the Deployment's pods are out of the Service before
 * they are asked to stop; the strategy widens it again when it starts.
 */
export function adoptionLayout(strategy: BoundStrategy, record: RolloutRecord): ServiceLayout {
  const rev = record.revisions.stable ?? '';
  const steady = steadyServices(strategy, record, rev);
  return Object.fromEntries(Object.entries(steady).map(([role, r]) => [role, r === '*' ? rev : r]));
}

/** The view of a handover: no step has started and no traffic moves to a new revision yet. */
function handoverView(view: ProgressView, record: RolloutRecord): ProgressView {
  return {
    ...view,
    steps: isRelease(record) ? [] : view.steps.map((s) => ({ ...s, state: 'pending' as const })),
    stepIndex: 0,
    traffic: { target: { weight: 0, matches: [] } },
  };
}

function place(record: RolloutRecord, events: readonly RolloutEvent[]): RolloutEvent[] {
  return events.map((e) => ({ phase: record.phase, step: 0, weight: 0, ...e }));
}

/** `inner`, with adoption and release deciding for the records they govern. */
export function withHandover(inner: BoundStrategy, plan: CompiledPlan): BoundStrategy {
  const layout = (r: RolloutRecord) => adoptionLayout(inner, r);
  return {
    ...inner,
    decide(input) {
      const r = input.record;
      if (isRelease(r)) return decideRelease(plan, r, input.observed, input.now);
      if (!adoptionGoverns(r)) return inner.decide(input);
      const t = decideAdoption(plan, r, input.observed, layout(r), input.now);
      if (t.record.adoption?.stage !== 'done') return t;
      // Handed over: the strategy starts as it would have with this revision already stable (an abort
      // during the handover is the strategy's rollback to end).
      const handed = t.record.phase === 'Progressing' ? { ...t.record, phase: 'Pending' as const } : t.record;
      const next = inner.decide({ ...input, record: handed });
      // The adoption's own events stay where they happened: before any step or traffic.
      return { record: next.record, events: [...place(t.record, t.events), ...next.events] };
    },
    desired(record, observed, now) {
      if (isRelease(record)) return desiredRelease(record);
      if (adoptionGoverns(record)) return desiredAdoption(record, layout(record));
      return inner.desired(record, observed, now);
    },
    traffic: (record) => (handoverGoverns(record) ? STABLE_ONLY : inner.traffic(record)),
    nextWakeup(record, now) {
      if (!handoverGoverns(record)) return inner.nextWakeup(record, now);
      return isTerminal(record.phase) ? Infinity : now + HANDOVER_POLL_MS;
    },
    operate(record, op, now) {
      if (isRelease(record)) return refuse(record, op, 'a release runs to its end (retry starts a failed one again)');
      if (!adoptionGoverns(record)) return inner.operate(record, op, now);
      if (isTerminal(record.phase)) return refuse(record, op, 'the rollout has finished');
      if (op !== 'abort')
        return refuse(
          record,
          op,
          `it is adopting Deployment ${record.adoption.deployment}: ${op} applies once the strategy has started (abort works now)`,
        );
      if (record.phase === 'RollingBack') return already(record, 'it is already rolling back');
      return operated(startRollback(record, 'aborted by request', now, true), 'abort: adoption cancelled', now);
    },
    analysisActive: (record) => !handoverGoverns(record) && inner.analysisActive(record),
    describe(record) {
      const view = inner.describe(record);
      return record && handoverGoverns(record) ? handoverView(view, record) : view;
    },
    place: (record, events) => (handoverGoverns(record) ? place(record, events) : inner.place(record, events)),
  };
}
