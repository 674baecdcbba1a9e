/**
 * The sandbox's kubelet: registers the node (and runs the scheduler), turns every pod bound to the
 * node into real local processes through pod workers, writes their status when it changes, and
 * serves their logs.
 */
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import type { PodLogOptions, PodLogSource } from '../apiServer/podLogSource';
import { nowTimestamp, type Registry } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import type { StoreWatch } from '../apiServer/store';
import { clone, type KubeObject } from '../apiServer/types';
import { EventRecorder } from '../controllers/eventRecorder';
import { ProcessTracker } from '../util/processes';
import { Backoff, type BackoffPolicy, KUBERNETES_BACKOFF } from './backoff';
import { ImageRegistry } from './imageRegistry';
import { IpAllocator } from './ipAllocator';
import { NodeAgent } from './node';
import { selectLogFile, streamLogFile } from './podLogs';
import { computePodStatus, sameStatus } from './podStatus';
import { PodWorker, type PodWorkerContext } from './podWorker';
import { Scheduler } from './scheduler';

export interface KubeletOptions {
  registry: Registry;
  /** Where pod logs, working directories and pid files go. */
  stateDir: string;
  /** Default 'sandbox'. */
  nodeName?: string;
  /** Default: the built-in images (demo app, exec). */
  images?: ImageRegistry;
  /** Crash-loop and image-pull back-off. Default 10 s doubling to 300 s, as Kubernetes. */
  backoff?: BackoffPolicy;
  /** Default: a tracker over `stateDir`. */
  tracker?: ProcessTracker;
  /** Run the scheduler that binds pending pods to this node. Default true. */
  scheduler?: boolean;
  /** On close(), processes get at most this long after SIGTERM. Default 5000 ms. */
  shutdownGraceMs?: number;
}

/** idle → running → closing → closed. */
export type KubeletState = 'idle' | 'running' | 'closing' | 'closed';

type PodChange = { pod: KubeObject; deleted: boolean };

export class Kubelet implements PodLogSource {
  state: KubeletState = 'idle';
  readonly nodeName: string;
  private readonly registry: Registry;
  private readonly stateDir: string;
  private readonly workers = new Map<string, PodWorker>();
  private readonly pending = new Map<string, PodChange>();
  private readonly dirty = new Set<PodWorker>();
  private readonly workerContext: PodWorkerContext;
  private readonly node: NodeAgent;
  private readonly scheduler: Scheduler | undefined;
  private readonly shutdownGraceMs: number;
  private readonly pods = resource('pods');
  private watch: StoreWatch | undefined;
  private drainScheduled = false;
  private flushScheduled = false;
  private closing: Promise<void> | undefined;
  private readonly stopping = new Set<Promise<void>>();

  constructor(opts: KubeletOptions) {
    this.registry = opts.registry;
    this.stateDir = opts.stateDir;
    this.nodeName = opts.nodeName ?? 'sandbox';
    this.shutdownGraceMs = opts.shutdownGraceMs ?? 5000;
    const policy = opts.backoff ?? KUBERNETES_BACKOFF;
    this.node = new NodeAgent(this.registry, this.nodeName, this.stateDir);
    this.scheduler = opts.scheduler === false ? undefined : new Scheduler(this.registry, this.nodeName);
    this.workerContext = {
      registry: this.registry,
      hostIP: '127.0.0.1',
      stateDir: this.stateDir,
      images: opts.images ?? ImageRegistry.withBuiltins(),
      tracker: opts.tracker ?? new ProcessTracker(this.stateDir),
      crashBackoff: new Backoff(policy),
      pullBackoff: new Backoff(policy),
      events: new EventRecorder(this.registry, 'kubelet', this.nodeName),
      ips: new IpAllocator(),
      statusChanged: (w) => this.markDirty(w),
      flushStatus: (w) => this.writeStatus(w),
    };
  }

  /** Registers the node, starts the scheduler and takes on the pods bound to this node. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`kubelet cannot start: it is ${this.state}`);
    this.state = 'running';
    this.node.register();
    this.scheduler?.start();
    this.watch = this.registry.watch(this.pods, {}, (ev) => {
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') return;
      const spec = (ev.object.spec ?? {}) as { nodeName?: string };
      if (spec.nodeName !== this.nodeName) return;
      this.pending.set(ev.object.metadata.uid ?? '', { pod: ev.object, deleted: ev.type === 'DELETED' });
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        setImmediate(() => this.drain());
      }
    });
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.state !== 'running') return;
    const changes = [...this.pending.entries()];
    this.pending.clear();
    for (const [uid, change] of changes) {
      try {
        this.sync(uid, change);
      } catch (e) {
        // One pod the kubelet cannot set up must not take the node down; say so where kubectl describe shows it.
        this.workerContext.events.record(
          change.pod,
          'Warning',
          'FailedCreatePodSandBox',
          `Failed to create pod sandbox: ${(e as Error).message}`,
        );
      }
    }
  }

  private sync(uid: string, { pod, deleted }: PodChange): void {
    const worker = this.workers.get(uid);
    if (deleted) {
      if (worker) this.forget(uid, worker);
      return;
    }
    if (worker) {
      worker.update(pod as Pod);
      return;
    }
    const phase = (pod.status as PodStatus | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (pod.metadata.deletionTimestamp) {
      // Nothing of it runs here (the kubelet restarted): finish the deletion.
      this.deleteNow(pod);
      return;
    }
    const w = new PodWorker(this.workerContext, pod as Pod);
    this.workers.set(uid, w);
    w.start();
  }

  private forget(uid: string, worker: PodWorker): void {
    this.workers.delete(uid);
    this.dirty.delete(worker);
    this.track(worker.gone());
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.stopping.delete(tracked));
    this.stopping.add(tracked);
  }

  private deleteNow(pod: KubeObject): void {
    try {
      this.registry.delete(this.pods, pod.metadata.namespace, pod.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch {
      // Already gone or replaced.
    }
  }

  private markDirty(worker: PodWorker): void {
    this.dirty.add(worker);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = [...this.dirty];
      this.dirty.clear();
      for (const w of batch) {
        try {
          this.writeStatus(w);
        } catch {
          // An unwritable status (a bug, or the pod is going) is retried on the pod's next change.
        }
      }
    });
  }

  /** Writes a pod's status if it changed; re-reads and retries on a conflict. */
  private writeStatus(worker: PodWorker): void {
    if (this.state !== 'running' || worker.state === 'gone') return;
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = this.registry.tryGet(this.pods, worker.key.namespace, worker.key.name);
      if (!current || current.metadata.uid !== worker.key.uid) return;
      const status = computePodStatus(current as Pod, worker.runtime(), nowTimestamp());
      if (sameStatus(status, current.status)) return;
      try {
        this.registry.update(
          this.pods,
          worker.key.namespace,
          worker.key.name,
          { ...clone(current), status },
          { subresource: 'status' },
        );
        return;
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'Conflict') return;
      }
    }
  }

  /** Pids of every container process running now. */
  pids(): number[] {
    return [...this.workers.values()].flatMap((w) => w.pids());
  }

  /** Opens a container's log (PodLogSource). Throws BadRequest StatusErrors as the kubelet answers. */
  open(pod: KubeObject, opts: PodLogOptions): Readable {
    const path = selectLogFile(this.stateDir, pod as Pod, opts);
    const container = basename(dirname(path));
    const isLive = (): boolean => {
      const worker = this.workers.get(pod.metadata.uid ?? '');
      const writer = worker && worker.state !== 'gone' ? worker.container(container)?.logWriter : undefined;
      return writer !== undefined && writer.path === path && writer.live;
    };
    return streamLogFile(path, {
      follow: opts.follow,
      tailLines: opts.tailLines,
      timestamps: opts.timestamps,
      limitBytes: opts.limitBytes,
      isLive,
    });
  }

  /** Stops every pod's processes, the scheduler and the heartbeat. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    const errors: unknown[] = [];
    const step = (fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        errors.push(e);
      }
    };
    step(() => this.watch?.stop());
    step(() => this.scheduler?.close());
    step(() => this.node.close());
    const workers = [...this.workers.values()];
    this.workers.clear();
    this.dirty.clear();
    this.pending.clear();
    await Promise.all([
      ...workers.map((w) => w.shutdown(this.shutdownGraceMs).catch((e: unknown) => void errors.push(e))),
      ...this.stopping,
    ]);
    this.state = 'closed';
    if (errors.length > 0) throw new AggregateError(errors, 'kubelet close failed');
  }
}
