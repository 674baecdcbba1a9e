/**
 * What controllers read from a pod's status, with Kubernetes' meanings: ready (the Ready condition is
 * True), available (ready for at least minReadySeconds), active (neither finished nor being deleted).
 */
import type { PodCondition } from 'kubernetes-types/core/v1';
import type { PodObject } from './objects';

function readyCondition(pod: PodObject): PodCondition | undefined {
  return (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
}

/** Whether the pod's Ready condition is True. */
export function isPodReady(pod: PodObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod last became ready (ms since the epoch), or undefined when it is not ready. */
export function readySince(pod: PodObject): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return undefined;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** Whether the pod has been ready for `minReadySeconds` at `now`. */
export function isPodAvailable(pod: PodObject, minReadySeconds: number, now = Date.now()): boolean {
  const since = readySince(pod);
  if (since === undefined) return false;
  return minReadySeconds <= 0 || since + minReadySeconds * 1000 <= now;
}

/** Whether the pod has finished (Succeeded or Failed): it will never run again. */
export function isPodTerminal(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Whether the pod counts towards a controller's replicas: not finished and not being deleted. */
export function isPodActive(pod: PodObject): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}
