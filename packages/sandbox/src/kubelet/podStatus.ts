/**
 * Pod status as the kubelet computes it from its containers: phase, the kubelet's conditions (with
 * lastTransitionTime moving only on a transition), IPs, start time and QoS class. Pure functions.
 */
import type { Container, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** What the kubelet knows about a pod beyond its spec. */
export interface PodRuntimeState {
  podIP?: string;
  hostIP: string;
  startTime?: string;
  /** Sandbox set up (IP assigned, log directory made): the PodReadyToStartContainers condition. */
  sandboxReady: boolean;
  /** One per spec container, in spec order. */
  containerStatuses: ContainerStatus[];
}

/** The conditions the kubelet owns; others (PodScheduled, readiness gates) are kept as they are. */
export const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'] as const;

function isTerminal(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The pod phase, by the kubelet's rules (getPhase): a terminal phase never changes back. */
export function podPhase(
  restartPolicy: string | undefined,
  statuses: readonly ContainerStatus[],
  previous?: string,
): PodPhase {
  if (isTerminal(previous)) return previous as PodPhase;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      // A container waiting to restart after running once is a stopped one, not a pending one.
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else waiting++;
  }
  if (statuses.length === 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === statuses.length) {
    switch (restartPolicy ?? 'Always') {
      case 'Always':
        return 'Running';
      case 'OnFailure':
        return stopped === succeeded ? 'Succeeded' : 'Running';
      default: {
        const terminatedAll = statuses.every((s) => s.state?.terminated);
        if (!terminatedAll) return 'Running';
        return stopped === succeeded ? 'Succeeded' : 'Failed';
      }
    }
  }
  return 'Pending';
}

/** Kubernetes' QoS class from requests and limits. */
export function qosClass(containers: readonly Container[]): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function condition(
  type: string,
  ok: boolean,
  prev: readonly PodCondition[],
  now: string,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const before = prev.find((c) => c.type === type);
  const c: PodCondition = {
    type,
    status,
    lastTransitionTime:
      before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
  };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

function readinessGatesMessage(pod: Pod, prev: readonly PodCondition[]): string | undefined {
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = prev.find((x) => x.type === gate.conditionType);
    if (!c) return `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`;
    if (c.status !== 'True')
      return `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`;
  }
  return undefined;
}

/** The pod's conditions: the kubelet's four, in a cluster's order, then every other existing one. */
export function podConditions(pod: Pod, runtime: PodRuntimeState, phase: PodPhase, now: string): PodCondition[] {
  const prev = pod.status?.conditions ?? [];
  const terminal = isTerminal(phase);
  const unready = runtime.containerStatuses.filter((s) => !s.ready).map((s) => s.name);
  const containersReady = !terminal && unready.length === 0 && runtime.containerStatuses.length > 0;
  const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const gates = containersReady ? readinessGatesMessage(pod, prev) : undefined;
  const kubelet = [
    condition('PodReadyToStartContainers', runtime.sandboxReady && !terminal, prev, now),
    condition('Initialized', true, prev, now),
    gates
      ? condition('Ready', false, prev, now, 'ReadinessGatesNotReady', gates)
      : condition('Ready', containersReady, prev, now, notReadyReason, notReadyMessage),
    condition('ContainersReady', containersReady, prev, now, notReadyReason, notReadyMessage),
  ];
  const others = prev.filter((c) => !(KUBELET_CONDITIONS as readonly string[]).includes(c.type));
  return [...kubelet, ...others];
}

/** The full status the kubelet reports for `pod`. */
export function computePodStatus(pod: Pod, runtime: PodRuntimeState, now: string): PodStatus {
  const phase = podPhase(pod.spec?.restartPolicy, runtime.containerStatuses, pod.status?.phase);
  const status: PodStatus = {
    phase,
    conditions: podConditions(pod, runtime, phase, now),
    hostIP: runtime.hostIP,
    hostIPs: [{ ip: runtime.hostIP }],
  };
  if (runtime.podIP) {
    status.podIP = runtime.podIP;
    status.podIPs = [{ ip: runtime.podIP }];
  }
  if (runtime.startTime) status.startTime = runtime.startTime;
  status.containerStatuses = runtime.containerStatuses;
  status.qosClass = qosClass(pod.spec?.containers ?? []);
  return status;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined && v !== null) out[k] = canonical(v);
    }
    return out;
  }
  return value;
}

/** True when two statuses say the same thing (key order and absent-vs-undefined ignored). */
export function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
