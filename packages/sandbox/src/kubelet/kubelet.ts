/**
 * The sandbox's kubelet: registers its node, watches the pods bound to it (spec.nodeName) and turns
 * each into real local processes through pod workers, writes their status when it changes, and serves
 * their logs. It talks to the control plane through a ClusterApi, so the same kubelet runs on the
 * home-made API server (in-process) and on the real kube-apiserver (over HTTPS, with the node's own
 * credentials, where the Node authorizer and NodeRestriction limit it to its node and its pods).
 */
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import type { PodLogOptions, PodLogSource } from '../apiServer/podLogSource';
import { nowTimestamp } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import type { KubeObject } from '../apiServer/types';
import type { ClusterApi, ClusterWatch } from '../cluster/clusterApi';
import { ProcessTracker } from '../util/processes';
import { Backoff, type BackoffPolicy, KUBERNETES_BACKOFF } from './backoff';
import { ImageRegistry } from './imageRegistry';
import { IpAllocator, LOOPBACK_POD_NETWORK, type PodNetwork } from './ipAllocator';
import { KubeletEvents } from './kubeletEvents';
import { KubeletServer } from './kubeletServer';
import { NodeAgent } from './node';
import { selectLogFile, streamLogFile } from './podLogs';
import { computePodStatus, sameStatus } from './podStatus';
import { PodWorker, type PodWorkerContext } from './podWorker';

export interface KubeletOptions {
  /** The control plane, with the kubelet's credentials. */
  cluster: ClusterApi;
  /** Where pod logs, working directories and pid files go. */
  stateDir: string;
  /** Default 'sandbox'. */
  nodeName?: string;
  /** The node's address (InternalIP, pods' hostIP). Default 127.0.0.1. */
  nodeAddress?: string;
  /** Pod addresses. Default 127.1.0.0/16. */
  podNetwork?: PodNetwork;
  /** Where pods reach the API server (KUBERNETES_SERVICE_HOST/PORT); unset: not set in containers. */
  apiServer?: { host: string; port: number };
  /** Node labels beyond the ones every kubelet sets. */
  nodeLabels?: Record<string, string>;
  /** Renew the node's Lease (a control plane with coordination.k8s.io). Default false. */
  lease?: boolean;
  /**
   * Serve the kubelet API (container logs for the API server) over HTTPS on the node address, with this
   * certificate, to clients whose certificates `clientCa` signed. Unset: no server (the home-made API server
   * reads logs in-process).
   */
  server?: { cert: string; key: string; clientCa: string };
  /** Default: the built-in images (demo app, Ramp, exec). */
  images?: ImageRegistry;
  /** Crash-loop and image-pull back-off. Default 10 s doubling to 300 s, as Kubernetes. */
  backoff?: BackoffPolicy;
  /** Default: a tracker over `stateDir`. */
  tracker?: ProcessTracker;
  /** On close(), processes get at most this long after SIGTERM. Default 5000 ms. */
  shutdownGraceMs?: number;
}

/** idle → running → closing → closed. */
export type KubeletState = 'idle' | 'running' | 'closing' | 'closed';

type PodChange = { pod: KubeObject; deleted: boolean };

/** Larger of two resourceVersions (numeric on both control planes; the newer object is the base of a write). */
function newer(a: KubeObject, b: KubeObject | undefined): KubeObject {
  if (!b) return a;
  return Number(b.metadata.resourceVersion ?? 0) > Number(a.metadata.resourceVersion ?? 0) ? b : a;
}

export class Kubelet implements PodLogSource {
  state: KubeletState = 'idle';
  readonly nodeName: string;
  private readonly cluster: ClusterApi;
  private readonly stateDir: string;
  private readonly workers = new Map<string, PodWorker>();
  private readonly pending = new Map<string, PodChange>();
  private readonly workerContext: PodWorkerContext;
  private readonly node: NodeAgent;
  private readonly server: KubeletServer | undefined;
  private readonly events: KubeletEvents;
  private readonly shutdownGraceMs: number;
  private readonly pods = resource('pods');
  /** Per worker: a status write in flight, whether another is needed after it, and the object it wrote. */
  private readonly writes = new Map<PodWorker, { running: Promise<void>; again: boolean; written?: KubeObject }>();
  private watch: ClusterWatch | undefined;
  private drainScheduled = false;
  private closing: Promise<void> | undefined;
  private readonly stopping = new Set<Promise<void>>();

  constructor(opts: KubeletOptions) {
    this.cluster = opts.cluster;
    this.stateDir = opts.stateDir;
    this.nodeName = opts.nodeName ?? 'sandbox';
    this.shutdownGraceMs = opts.shutdownGraceMs ?? 5000;
    const policy = opts.backoff ?? KUBERNETES_BACKOFF;
    const network = opts.podNetwork ?? LOOPBACK_POD_NETWORK;
    const address = opts.nodeAddress ?? '127.0.0.1';
    this.node = new NodeAgent({
      cluster: this.cluster,
      nodeName: this.nodeName,
      stateDir: this.stateDir,
      address,
      podCidr: network.cidr,
      labels: opts.nodeLabels,
      lease: opts.lease,
    });
    this.server =
      opts.server && new KubeletServer({ kubelet: this, cluster: this.cluster, host: address, tls: opts.server });
    this.events = new KubeletEvents(this.cluster, 'kubelet', this.nodeName);
    this.workerContext = {
      cluster: this.cluster,
      hostIP: address,
      apiServer: opts.apiServer,
      stateDir: this.stateDir,
      images: opts.images ?? ImageRegistry.withBuiltins(),
      tracker: opts.tracker ?? new ProcessTracker(this.stateDir),
      crashBackoff: new Backoff(policy),
      pullBackoff: new Backoff(policy),
      events: this.events,
      ips: new IpAllocator(undefined, network),
      statusChanged: (w) => this.markDirty(w),
      flushStatus: (w) => this.writeStatusNow(w),
    };
  }

  /** Registers the node and takes on the pods bound to it; resolves once the node is Ready and the pods are listed. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`kubelet cannot start: it is ${this.state}`);
    this.state = 'running';
    if (this.server) this.node.kubeletPort = await this.server.listen();
    await this.node.register();
    this.watch = this.cluster.watch(this.pods, { fieldSelector: `spec.nodeName=${this.nodeName}` }, (ev) => {
      this.pending.set(ev.object.metadata.uid ?? '', { pod: ev.object, deleted: ev.type === 'DELETED' });
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        setImmediate(() => this.drain());
      }
    });
    await this.watch.synced;
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
        this.events.record(
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
      this.track(this.deleteNow(pod));
      return;
    }
    const w = new PodWorker(this.workerContext, pod as Pod);
    this.workers.set(uid, w);
    w.start();
  }

  private forget(uid: string, worker: PodWorker): void {
    this.workers.delete(uid);
    this.writes.delete(worker);
    this.track(worker.gone());
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.stopping.delete(tracked));
    this.stopping.add(tracked);
  }

  private async deleteNow(pod: KubeObject): Promise<void> {
    try {
      await this.cluster.delete(this.pods, pod.metadata.namespace, pod.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch {
      // Already gone or replaced.
    }
  }

  /** The pod's status should be written soon: one write at a time per pod, the latest state each time. */
  private markDirty(worker: PodWorker): void {
    const w = this.writes.get(worker);
    if (w) {
      w.again = true;
      return;
    }
    const entry: { running: Promise<void>; again: boolean; written?: KubeObject } = {
      running: Promise.resolve(),
      again: false,
    };
    this.writes.set(worker, entry);
    entry.running = (async () => {
      // Let the changes of this turn of the event loop settle into one write.
      await new Promise((r) => setImmediate(r));
      do {
        entry.again = false;
        await this.writeStatus(worker, entry).catch(() => undefined);
      } while (entry.again && this.writes.get(worker) === entry);
      if (this.writes.get(worker) === entry) this.writes.delete(worker);
    })();
  }

  /** Writes now (waiting for a write in flight first): the pod's last status before its final delete. */
  private async writeStatusNow(worker: PodWorker): Promise<void> {
    await this.writes.get(worker)?.running;
    await this.writeStatus(worker, {}).catch(() => undefined);
  }

  /** Writes a pod's status if it changed; re-reads and retries on a conflict. */
  private async writeStatus(worker: PodWorker, memo: { written?: KubeObject }): Promise<void> {
    let current: KubeObject | undefined = newer(worker.object as KubeObject, memo.written);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (this.state !== 'running' || worker.state === 'gone') return;
      if (!current || current.metadata.uid !== worker.key.uid) return;
      const status = computePodStatus(current as Pod, worker.runtime(), nowTimestamp());
      if (sameStatus(status, current.status)) return;
      try {
        memo.written = await this.cluster.update(
          this.pods,
          worker.key.namespace,
          worker.key.name,
          { ...current, status },
          { subresource: 'status' },
        );
        return;
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'Conflict') return;
        current = await this.cluster.get(this.pods, worker.key.namespace, worker.key.name);
      }
    }
  }

  /** Pids of every container process running now. */
  pids(): number[] {
    return [...this.workers.values()].flatMap((w) => w.pids());
  }

  /** The pod object of a pod running here (namespace/name), for the kubelet server. */
  podByName(namespace: string, name: string): Pod | undefined {
    for (const w of this.workers.values()) if (w.key.namespace === namespace && w.key.name === name) return w.object;
    return undefined;
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

  /** Stops every pod's processes and the heartbeat. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    const errors: unknown[] = [];
    try {
      this.watch?.stop();
    } catch (e) {
      errors.push(e);
    }
    await this.node.close().catch((e: unknown) => void errors.push(e));
    await this.server?.close().catch((e: unknown) => void errors.push(e));
    const workers = [...this.workers.values()];
    this.workers.clear();
    this.writes.clear();
    this.pending.clear();
    await Promise.all([
      ...workers.map((w) => w.shutdown(this.shutdownGraceMs).catch((e: unknown) => void errors.push(e))),
      ...this.stopping,
    ]);
    this.state = 'closed';
    if (errors.length > 0) throw new AggregateError(errors, 'kubelet close failed');
  }
}
