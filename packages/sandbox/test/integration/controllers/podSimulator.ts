/**
 * Stands in for the kubelet in controller tests: binds pods to a node, writes the status a kubelet
 * writes when a container is up (Running, a 127.1.x.y IP, Ready/ContainersReady True), and finishes
 * graceful deletions. Either by hand, step by step, or automatically from a watch.
 */
import { nowTimestamp, type Registry } from '../../../src/apiServer/registry';
import { resource } from '../../../src/apiServer/resources';
import { StatusError } from '../../../src/apiServer/statusError';
import type { StoreWatch } from '../../../src/apiServer/store';
import { clone, type KubeObject } from '../../../src/apiServer/types';

export const PODS = resource('pods');
export const NODE_NAME = 'sandbox-node';

export interface SimulatorOptions {
  /** Bind new pods to the node. Default true. */
  bind?: boolean;
  /** Make bound pods ready. Default true. */
  ready?: boolean;
  /** Delay before a pod becomes ready; pods become ready one at a time. Default 0. */
  readyDelayMs?: number;
  /** Remove pods whose graceful deletion started. Default true. */
  finishDeletions?: boolean;
}

let ipCounter = 0;

function nextIp(): string {
  ipCounter++;
  return `127.1.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}

function notFound(e: unknown): boolean {
  return e instanceof StatusError && e.reason === 'NotFound';
}

/** Binds a pod to the sandbox node (the scheduler's one write to a pod's spec). */
export function bindPod(registry: Registry, pod: KubeObject): KubeObject | undefined {
  const cur = registry.tryGet(PODS, pod.metadata.namespace, pod.metadata.name ?? '');
  if (!cur || cur.metadata.uid !== pod.metadata.uid) return undefined;
  if ((cur.spec as { nodeName?: string }).nodeName) return cur;
  const next = clone(cur);
  (next.spec as { nodeName?: string }).nodeName = NODE_NAME;
  return registry.update(PODS, cur.metadata.namespace, cur.metadata.name ?? '', next).object;
}

/** Writes the status of a running pod, ready or not, keeping its IP once it has one. */
export function setPodReady(registry: Registry, pod: KubeObject, ready: boolean): KubeObject | undefined {
  const cur = registry.tryGet(PODS, pod.metadata.namespace, pod.metadata.name ?? '');
  if (!cur || cur.metadata.uid !== pod.metadata.uid) return undefined;
  const prev = (cur.status ?? {}) as {
    podIP?: string;
    startTime?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  };
  const now = nowTimestamp();
  const ip = prev.podIP ?? nextIp();
  const flag = ready ? 'True' : 'False';
  const since = (type: string, status: string): string => {
    const c = (prev.conditions ?? []).find((x) => x.type === type);
    return c && c.status === status && c.lastTransitionTime ? c.lastTransitionTime : now;
  };
  const containers = ((cur.spec as { containers?: { name: string; image: string }[] }).containers ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    ready,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: prev.startTime ?? now } },
  }));
  const status = {
    phase: 'Running',
    conditions: [
      { type: 'Initialized', status: 'True', lastTransitionTime: since('Initialized', 'True') },
      { type: 'Ready', status: flag, lastTransitionTime: since('Ready', flag) },
      { type: 'ContainersReady', status: flag, lastTransitionTime: since('ContainersReady', flag) },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: since('PodScheduled', 'True') },
    ],
    hostIP: '127.0.0.1',
    podIP: ip,
    podIPs: [{ ip }],
    startTime: prev.startTime ?? now,
    containerStatuses: containers,
    qosClass: 'BestEffort',
  };
  try {
    return registry.update(
      PODS,
      cur.metadata.namespace,
      cur.metadata.name ?? '',
      { ...clone(cur), status },
      { subresource: 'status' },
    ).object;
  } catch (e) {
    if (notFound(e)) return undefined;
    throw e;
  }
}

/** Ends a pod's graceful deletion, as the kubelet does once the process has stopped. */
export function finishDeletion(registry: Registry, pod: KubeObject): void {
  try {
    registry.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
      gracePeriodSeconds: 0,
      preconditions: { uid: pod.metadata.uid },
    });
  } catch (e) {
    if (!notFound(e) && !(e instanceof StatusError && e.reason === 'Conflict')) throw e;
  }
}

/** A kubelet stand-in driven by a watch on pods. */
export class PodSimulator {
  private watch: StoreWatch | undefined;
  private readonly readyQueue: KubeObject[] = [];
  private readyTimer: NodeJS.Timeout | undefined;
  private pendingWork: NodeJS.Immediate | undefined;
  private readonly seen: KubeObject[] = [];
  private readonly opts: Required<SimulatorOptions>;

  constructor(
    private readonly registry: Registry,
    opts: SimulatorOptions = {},
  ) {
    this.opts = { bind: true, ready: true, readyDelayMs: 0, finishDeletions: true, ...opts };
  }

  start(namespace?: string): this {
    this.watch = this.registry.watch(PODS, { namespace }, (e) => {
      if (e.type === 'DELETED') return;
      this.seen.push(e.object);
      // Writing from a listener is allowed, but acting after the writer's turn is what a kubelet does.
      if (!this.pendingWork) this.pendingWork = setImmediate(() => this.work());
    });
    return this;
  }

  private work(): void {
    this.pendingWork = undefined;
    for (const p of this.seen.splice(0)) {
      const cur = this.registry.tryGet(PODS, p.metadata.namespace, p.metadata.name ?? '');
      if (!cur || cur.metadata.uid !== p.metadata.uid) continue;
      if (cur.metadata.deletionTimestamp) {
        if (this.opts.finishDeletions) finishDeletion(this.registry, cur);
        continue;
      }
      const bound = this.opts.bind ? bindPod(this.registry, cur) : cur;
      const status = cur.status as { podIP?: string } | undefined;
      if (
        bound &&
        this.opts.ready &&
        !status?.podIP &&
        !this.readyQueue.some((q) => q.metadata.uid === cur.metadata.uid)
      ) {
        this.readyQueue.push(bound);
        this.pumpReady();
      }
    }
  }

  private pumpReady(): void {
    if (this.readyTimer || this.readyQueue.length === 0 || !this.watch) return;
    this.readyTimer = setTimeout(() => {
      this.readyTimer = undefined;
      const p = this.readyQueue.shift();
      if (p) {
        const cur = this.registry.tryGet(PODS, p.metadata.namespace, p.metadata.name ?? '');
        if (cur && cur.metadata.uid === p.metadata.uid && !cur.metadata.deletionTimestamp)
          setPodReady(this.registry, cur, true);
      }
      this.pumpReady();
    }, this.opts.readyDelayMs);
  }

  stop(): void {
    this.watch?.stop();
    this.watch = undefined;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    if (this.pendingWork) clearImmediate(this.pendingWork);
    this.pendingWork = undefined;
    this.readyQueue.length = 0;
  }
}
