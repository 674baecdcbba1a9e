/**
 * A Deployment's status as Kubernetes computes it: counts summed over its ReplicaSets, the Available
 * and Progressing conditions, and the tests `kubectl rollout status` relies on (complete, progressing,
 * timed out). Pure: the caller passes the time.
 */
import type { DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1';
import { nowTimestamp } from '../apiServer/registry';
import {
  maxUnavailable,
  specReplicas,
  sumAvailableReplicas,
  sumReadyReplicas,
  sumSpecReplicas,
  sumStatusReplicas,
} from './deploymentUtil';
import type { DeploymentObject, ReplicaSetObject } from './objects';

export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const REPLICA_FAILURE = 'ReplicaFailure';

/** Reasons of the Progressing and Available conditions, as Kubernetes words them. */
export const Reason = {
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  FailedReplicaSetCreate: 'ReplicaSetCreateError',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** A condition stamped at `now`. */
export function newCondition(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  now = Date.now(),
): DeploymentCondition {
  const t = nowTimestamp(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** The condition of this type, if any. */
export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type);
}

/**
 * Sets a condition (in place): one with the same status and reason as the current one changes nothing;
 * one with the same status keeps the current transition time.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

/** Removes a condition (in place). */
export function removeCondition(status: DeploymentStatus, type: string): void {
  const rest = (status.conditions ?? []).filter((c) => c.type !== type);
  if (rest.length === (status.conditions ?? []).length) return;
  status.conditions = rest;
}

/** The status the ReplicaSets add up to, with the Available condition brought up to date. */
export function calculateStatus(
  allRSs: readonly (ReplicaSetObject | undefined)[],
  newRS: ReplicaSetObject | undefined,
  d: DeploymentObject,
  now = Date.now(),
): DeploymentStatus {
  const available = sumAvailableReplicas(allRSs);
  const total = sumSpecReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: sumStatusReplicas([newRS]),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  status.conditions = (d.status?.conditions ?? []).map((c) => ({ ...c }));
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition(AVAILABLE, 'True', Reason.MinimumReplicasAvailable, 'Deployment has minimum availability.', now),
    );
  } else {
    setCondition(
      status,
      newCondition(
        AVAILABLE,
        'False',
        Reason.MinimumReplicasUnavailable,
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  }
  return status;
}

/** Whether spec.progressDeadlineSeconds is set (MaxInt32 means "no deadline"). */
export function hasProgressDeadline(d: DeploymentObject): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== 2147483647;
}

/** Every replica updated and available, and the current generation observed. */
export function deploymentComplete(d: DeploymentObject, status: DeploymentStatus): boolean {
  const r = specReplicas(d);
  return (
    status.updatedReplicas === r &&
    status.replicas === r &&
    status.availableReplicas === r &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** Whether `next` shows progress over the deployment's current status. */
export function deploymentProgressing(d: DeploymentObject, next: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldStale = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newStale = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newStale < oldStale ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Whether the deployment made no progress for progressDeadlineSeconds. */
export function deploymentTimedOut(d: DeploymentObject, status: DeploymentStatus, now = Date.now()): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(status, PROGRESSING);
  if (!cond) return false;
  if (cond.reason === Reason.NewReplicaSetAvailable) return false;
  if (cond.reason === Reason.ProgressDeadlineExceeded) return true;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return false;
  return from + (d.spec.progressDeadlineSeconds ?? 600) * 1000 < now;
}

/** When to look at the deployment again to notice a missed deadline (ms from now), or undefined. */
export function stuckRecheckDelay(d: DeploymentObject, next: DeploymentStatus, now = Date.now()): number | undefined {
  const cond = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !cond) return undefined;
  if (deploymentComplete(d, next) || cond.reason === Reason.ProgressDeadlineExceeded) return undefined;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return undefined;
  const after = from + (d.spec.progressDeadlineSeconds ?? 600) * 1000 - now;
  // A second past the deadline, because timestamps have whole seconds.
  return Math.max(0, after) + 1000;
}

/** The deployment's ReplicaSets' ReplicaFailure condition mirrored onto the deployment status (in place). */
export function mirrorReplicaFailure(
  status: DeploymentStatus,
  allRSs: readonly (ReplicaSetObject | undefined)[],
): void {
  for (const rs of allRSs) {
    const c = (rs?.status?.conditions ?? []).find((x) => x.type === REPLICA_FAILURE);
    if (c) {
      setCondition(status, {
        type: REPLICA_FAILURE,
        status: c.status as 'True',
        reason: c.reason,
        message: c.message,
        lastTransitionTime: c.lastTransitionTime,
        lastUpdateTime: c.lastTransitionTime,
      });
      return;
    }
  }
  removeCondition(status, REPLICA_FAILURE);
}
