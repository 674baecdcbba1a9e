/**
 * One pod on the node: its IP and directory, a ContainerWorker per container, and its end — graceful
 * termination when the pod gets a deletionTimestamp (then the final delete), or a quick kill when the
 * object is already gone.
 */
import { rmSync, mkdirSync } from 'node:fs';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { nowTimestamp, type Registry } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import type { KubeObject } from '../apiServer/types';
import type { EventRecorder } from '../controllers/eventRecorder';
import type { ProcessTracker } from '../util/processes';
import type { Backoff } from './backoff';
import { containerEnv, type EnvResult } from './containerEnv';
import { ContainerWorker } from './containerWorker';
import type { ImageRegistry } from './imageRegistry';
import type { IpAllocator } from './ipAllocator';
import { podLogDir, type PodLogKey } from './logWriter';
import type { PodRuntimeState } from './podStatus';

/** What a pod worker needs from its kubelet. */
export interface PodWorkerContext {
  registry: Registry;
  hostIP: string;
  stateDir: string;
  images: ImageRegistry;
  tracker: ProcessTracker;
  crashBackoff: Backoff;
  pullBackoff: Backoff;
  events: EventRecorder;
  ips: IpAllocator;
  /** The pod's status should be (re)written soon. */
  statusChanged(worker: PodWorker): void;
  /** Writes the pod's status now (before the final delete). */
  flushStatus(worker: PodWorker): void;
}

/** running → terminating (graceful delete) → terminated (deleted by us) → gone (object removed). */
export type PodWorkerState = 'running' | 'terminating' | 'terminated' | 'gone';

/** When the object disappears without a graceful delete, processes still get this long after SIGTERM (the kubelet's minimum). */
const MINIMUM_GRACE_MS = 2000;

function decodeSecret(o: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries((o.stringData ?? {}) as Record<string, string>)) out[k] = v;
  return out;
}

export class PodWorker {
  state: PodWorkerState = 'running';
  readonly key: PodLogKey;
  readonly podIP: string;
  readonly startTime: string;
  readonly dir: string;
  private pod: Pod;
  private readonly containers: ContainerWorker[];
  private terminating: Promise<void> | undefined;
  private deadline = Infinity;

  constructor(
    private readonly ctx: PodWorkerContext,
    pod: Pod,
  ) {
    this.pod = pod;
    this.key = {
      namespace: pod.metadata?.namespace ?? 'default',
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
    };
    this.podIP = ctx.ips.allocate();
    this.startTime = pod.status?.startTime ?? nowTimestamp();
    this.dir = podLogDir(ctx.stateDir, this.key);
    mkdirSync(this.dir, { recursive: true });
    this.containers = (pod.spec?.containers ?? []).map(
      (c) =>
        new ContainerWorker(c.name, {
          pod: () => this.pod,
          podKey: this.key,
          podIP: this.podIP,
          stateDir: ctx.stateDir,
          podDir: this.dir,
          images: ctx.images,
          tracker: ctx.tracker,
          crashBackoff: ctx.crashBackoff,
          pullBackoff: ctx.pullBackoff,
          event: (type, reason, message) => ctx.events.record(this.pod as KubeObject, type, reason, message),
          env: (container) => this.env(container),
          changed: () => ctx.statusChanged(this),
        }),
    );
  }

  /** The pod object this worker last saw. */
  get object(): Pod {
    return this.pod;
  }

  /** Starts every container. */
  start(): void {
    this.ctx.statusChanged(this);
    for (const c of this.containers) c.start();
  }

  private env(container: Container): EnvResult {
    return containerEnv(this.pod, container, {
      podIP: this.podIP,
      hostIP: this.ctx.hostIP,
      lookup: (kind, ns, name) => {
        const o = this.ctx.registry.tryGet(resource(kind === 'ConfigMap' ? 'configmaps' : 'secrets'), ns, name);
        if (!o) return undefined;
        return kind === 'Secret' ? decodeSecret(o) : { ...((o.data ?? {}) as Record<string, string>) };
      },
    });
  }

  /** A container worker by name. */
  container(name: string): ContainerWorker | undefined {
    return this.containers.find((c) => c.name === name);
  }

  /** Pids of the running container processes. */
  pids(): number[] {
    return this.containers.map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  /** What the status computation needs. */
  runtime(): PodRuntimeState {
    return {
      podIP: this.podIP,
      hostIP: this.ctx.hostIP,
      startTime: this.startTime,
      sandboxReady: this.state !== 'gone',
      containerStatuses: this.containers.map((c) => c.status()),
    };
  }

  /** A new version of the pod object: starts termination, shortens it, or restarts containers whose image changed. */
  update(pod: Pod): void {
    if (this.state === 'gone') return;
    const before = this.pod;
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      const graceMs = (pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
      this.shortenDeadline(Date.now() + graceMs);
      this.terminating ??= this.terminate();
      return;
    }
    for (const c of pod.spec?.containers ?? []) {
      const old = before.spec?.containers?.find((x) => x.name === c.name);
      if (old && old.image !== c.image) this.container(c.name)?.imageChanged();
    }
  }

  private shortenDeadline(deadline: number): void {
    if (deadline >= this.deadline) return;
    this.deadline = deadline;
    if (this.state !== 'running') for (const c of this.containers) void c.stop(deadline);
  }

  private async terminate(): Promise<void> {
    this.state = 'terminating';
    this.ctx.statusChanged(this);
    await Promise.all(this.containers.map((c) => c.stop(this.deadline)));
    if (this.state !== 'terminating') return;
    this.ctx.flushStatus(this);
    this.state = 'terminated';
    try {
      this.ctx.registry.delete(resource('pods'), this.key.namespace, this.key.name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: this.key.uid },
      });
    } catch (e) {
      // NotFound / Conflict: gone already, or replaced by a new pod of the same name — nothing of ours to delete.
      if (!(e instanceof StatusError) || (e.reason !== 'NotFound' && e.reason !== 'Conflict')) {
        this.ctx.events.record(
          this.pod as KubeObject,
          'Warning',
          'FailedKillPod',
          `error deleting pod: ${(e as Error).message}`,
        );
      }
    }
  }

  /** The pod object is gone: kill what still runs, free the IP, drop the logs. Safe to call twice. */
  async gone(): Promise<void> {
    if (this.state === 'gone') return;
    await this.stopAll(MINIMUM_GRACE_MS);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stops everything without touching the API (the kubelet is closing). Logs stay. */
  async shutdown(maxGraceMs: number): Promise<void> {
    if (this.state === 'gone') return;
    await this.stopAll(maxGraceMs);
  }

  private async stopAll(maxGraceMs: number): Promise<void> {
    this.state = 'gone';
    const podGrace = (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    this.deadline = Math.min(this.deadline, Date.now() + Math.min(podGrace, maxGraceMs));
    await Promise.all(this.containers.map((c) => c.stop(this.deadline)));
    this.ctx.ips.release(this.podIP);
    this.ctx.crashBackoff.resetPrefix(`${this.key.uid}/`);
    this.ctx.pullBackoff.resetPrefix(`${this.key.uid}/`);
  }
}
