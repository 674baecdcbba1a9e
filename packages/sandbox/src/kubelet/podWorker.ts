/**
 * One pod on the node: its IP and directory, its volumes, a ContainerWorker per container, and its end —
 * graceful termination when the pod gets a deletionTimestamp (then the final delete), or a quick kill
 * when the object is already gone.
 */
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, EnvFromSource, EnvVar, Pod } from 'kubernetes-types/core/v1';
import { nowTimestamp } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import type { KubeObject } from '../apiServer/types';
import type { ClusterApi } from '../cluster/clusterApi';
import type { ProcessTracker } from '../util/processes';
import type { Backoff } from './backoff';
import { containerEnv, type EnvResult } from './containerEnv';
import { ContainerWorker } from './containerWorker';
import type { ImageCommand, ImageRegistry } from './imageRegistry';
import type { IpAllocator } from './ipAllocator';
import type { KubeletEvents } from './kubeletEvents';
import { podLogDir, type PodLogKey } from './logWriter';
import { canMount, containerMounts, resolveCommand, withMounts } from './mounts';
import type { PodRuntimeState } from './podStatus';
import { PodVolumes, type PreparedVolumes, VolumeError } from './volumes';

/** What a pod worker needs from its kubelet. */
export interface PodWorkerContext {
  cluster: ClusterApi;
  hostIP: string;
  /** Where pods reach the API server: KUBERNETES_SERVICE_HOST and _PORT. */
  apiServer?: { host: string; port: number };
  stateDir: string;
  images: ImageRegistry;
  tracker: ProcessTracker;
  crashBackoff: Backoff;
  pullBackoff: Backoff;
  events: KubeletEvents;
  ips: IpAllocator;
  /** The pod's status should be (re)written soon. */
  statusChanged(worker: PodWorker): void;
  /** Writes the pod's status now (before the final delete). */
  flushStatus(worker: PodWorker): Promise<void>;
}

/** running → terminating (graceful delete) → terminated (deleted by us) → gone (object removed). */
export type PodWorkerState = 'running' | 'terminating' | 'terminated' | 'gone';

/** When the object disappears without a graceful delete, processes still get this long after SIGTERM (the kubelet's minimum). */
const MINIMUM_GRACE_MS = 2000;
/** A volume that cannot be made yet is tried again after this (the kubelet's volume manager retries too). */
const VOLUME_RETRY_MS = 2000;

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
  private readonly volumes: PodVolumes;
  private prepared: PreparedVolumes | undefined;
  private volumeTimer: NodeJS.Timeout | undefined;
  private warnedMounts = false;

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
    this.volumes = new PodVolumes(
      { cluster: ctx.cluster, podIP: this.podIP, hostIP: ctx.hostIP },
      pod,
      join(this.dir, 'volumes'),
    );
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
          mount: (container, command) => this.mount(container, command),
          changed: () => ctx.statusChanged(this),
        }),
    );
  }

  /** The pod object this worker last saw. */
  get object(): Pod {
    return this.pod;
  }

  /** Makes the pod's volumes, then starts every container. */
  start(): void {
    this.ctx.statusChanged(this);
    void this.prepareVolumes(true);
  }

  private async prepareVolumes(first: boolean): Promise<void> {
    this.volumeTimer = undefined;
    if (this.state !== 'running') return;
    try {
      this.prepared = await this.volumes.prepare();
    } catch (e) {
      const message = e instanceof VolumeError ? e.message : `MountVolume.SetUp failed: ${(e as Error).message}`;
      this.ctx.events.record(this.pod as KubeObject, 'Warning', 'FailedMount', message);
      // A refresh that fails keeps the files it made before; a first setup waits and tries again.
      this.later(VOLUME_RETRY_MS, () => void this.prepareVolumes(first));
      return;
    }
    if (this.state !== 'running') return;
    const p = this.prepared;
    if (first)
      for (const why of p.skipped) this.ctx.events.record(this.pod as KubeObject, 'Warning', 'FailedMount', why);
    if (p.refreshAt !== undefined) this.later(p.refreshAt - Date.now(), () => void this.prepareVolumes(false));
    if (first) for (const c of this.containers) c.start();
  }

  private later(ms: number, fn: () => void): void {
    if (this.volumeTimer) clearTimeout(this.volumeTimer);
    this.volumeTimer = setTimeout(fn, Math.max(0, ms));
    this.volumeTimer.unref();
  }

  /** Reads the ConfigMaps and Secrets the container's env names, then computes its environment. */
  private async env(container: Container): Promise<EnvResult> {
    const ns = this.key.namespace;
    const wanted = new Map<string, { kind: 'ConfigMap' | 'Secret'; name: string }>();
    const want = (kind: 'ConfigMap' | 'Secret', name: string | undefined): void => {
      if (name) wanted.set(`${kind}/${name}`, { kind, name });
    };
    for (const src of container.envFrom ?? ([] as EnvFromSource[])) {
      want('ConfigMap', src.configMapRef?.name);
      want('Secret', src.secretRef?.name);
    }
    for (const v of container.env ?? ([] as EnvVar[])) {
      want('ConfigMap', v.valueFrom?.configMapKeyRef?.name);
      want('Secret', v.valueFrom?.secretKeyRef?.name);
    }
    const found = new Map<string, Record<string, string>>();
    await Promise.all(
      [...wanted].map(async ([key, { kind, name }]) => {
        const o = await this.ctx.cluster.get(resource(kind === 'ConfigMap' ? 'configmaps' : 'secrets'), ns, name);
        if (o) found.set(key, kind === 'Secret' ? decodeSecret(o) : { ...((o.data ?? {}) as Record<string, string>) });
      }),
    );
    const result = containerEnv(this.pod, container, {
      podIP: this.podIP,
      hostIP: this.ctx.hostIP,
      lookup: (kind, namespace, name) => (namespace === ns ? found.get(`${kind}/${name}`) : undefined),
    });
    const api = this.ctx.apiServer;
    if (result.ok && api) {
      // What the kubelet sets for the `kubernetes` Service in every container (before the pod's own env wins).
      result.env = {
        KUBERNETES_SERVICE_HOST: api.host,
        KUBERNETES_SERVICE_PORT: String(api.port),
        KUBERNETES_SERVICE_PORT_HTTPS: String(api.port),
        KUBERNETES_PORT: `tcp://${api.host}:${api.port}`,
        ...result.env,
      };
    }
    return result;
  }

  /** The container's command, run with its volumes mounted at their mountPaths when this process may mount. */
  private mount(container: Container, cmd: ImageCommand): { command: string; args: string[] } {
    const { mounts } = containerMounts(container, this.prepared?.paths ?? new Map());
    if (mounts.length === 0) return cmd;
    if (!canMount()) {
      if (!this.warnedMounts)
        this.ctx.events.record(
          this.pod as KubeObject,
          'Warning',
          'FailedMount',
          `volumes are not mounted (mount namespaces need root); their files are in ${join(this.dir, 'volumes')}`,
        );
      this.warnedMounts = true;
      return cmd;
    }
    // A command that does not exist is reported by the spawn itself, as without mounts.
    const program = resolveCommand(cmd.command, process.env.PATH);
    return program ? withMounts(program, cmd.args, mounts, cmd.files) : cmd;
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
    await this.ctx.flushStatus(this);
    this.state = 'terminated';
    try {
      await this.ctx.cluster.delete(resource('pods'), this.key.namespace, this.key.name, {
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
    if (this.volumeTimer) clearTimeout(this.volumeTimer);
    const podGrace = (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    this.deadline = Math.min(this.deadline, Date.now() + Math.min(podGrace, maxGraceMs));
    await Promise.all(this.containers.map((c) => c.stop(this.deadline)));
    this.ctx.ips.release(this.podIP);
    this.ctx.crashBackoff.resetPrefix(`${this.key.uid}/`);
    this.ctx.pullBackoff.resetPrefix(`${this.key.uid}/`);
  }
}
