/**
 * `ramp sandbox` as a library: a real-enough Kubernetes on one machine — a control plane (the home-made
 * API server and controllers, or the real etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler), a kubelet running pods as local processes, a gateway — the real Prometheus scraping
 * the pods, and a Redis. Tests start one in-process and close it in afterAll; `ramp sandbox up` runs one
 * in a background process.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FaultInjector } from './apiServer/faults';
import type { Registry } from './apiServer/registry';
import { resource } from './apiServer/resources';
import type { ApiServer } from './apiServer/server';
import type { ObjectStore } from './apiServer/store';
import type { ClusterApi } from './cluster/clusterApi';
import type { ControlPlaneBackend, ControlPlaneKind } from './controlPlaneBackend';
import { ControlServer } from './controlServer';
import { Gateway } from './gateway/gateway';
import { HomeMadeControlPlane } from './homeMadeControlPlane';
import { Kubelet } from './kubelet/kubelet';
import { writeKubeconfig } from './kubeconfig';
import type { KubernetesControlPlane } from './kubernetes/controlPlane';
import { KubernetesBackend } from './kubernetes/kubernetesBackend';
import { HttpSdServer } from './prometheus/httpSd';
import { PrometheusServer } from './prometheus/prometheusServer';
import { ensureRedis } from './redis';
import { isAlive, ProcessTracker } from './util/processes';
import { createLogger, type Logger } from './util/logger';
import { PortInUseError } from './errors/portInUseError';
import { readSandboxRecord, STATE_FILE, type SandboxRecord, type SandboxUrls } from './sandboxRecord';
import { SandboxError } from './errors/sandboxError';

export { CONTROL_PLANES, type ControlPlaneKind } from './controlPlaneBackend';

export interface SandboxOptions {
  /** Where the sandbox keeps its kubeconfig, token, logs, pod logs and Prometheus data. */
  dir: string;
  /** Default 'home-made'. 'kubernetes' needs `bash scripts/kubernetes/build.sh` first, and root (or the local routes). */
  controlPlane?: ControlPlaneKind;
  apiPort?: number;
  gatewayPort?: number;
  /** Start the real Prometheus (default true). */
  prometheus?: boolean;
  /** Reuse or start a Redis (default true). */
  redis?: boolean;
  /** The prometheus program (default: `prometheus` on PATH). */
  prometheusBinary?: string;
  /**
   * How often Prometheus scrapes each pod, in seconds (default 1: fast tests). Real ones scrape every
   * 15–60 s; a test of how Ramp copes with that sets it.
   */
  scrapeIntervalSeconds?: number;
  /** Redis to reuse when it answers; default REDIS_URL or redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** Container restart back-off (Kubernetes: 10 s doubling to 5 min). Tests shorten it. */
  backoff?: { initialMs: number; maxMs: number };
  /** Home-made only: watch bookmarks every … ms. */
  bookmarkIntervalMs?: number;
  /** Home-made only: watch history length before a watch from an old resourceVersion gets 410. */
  historyLimit?: number;
  logger?: Logger;
}

export type SandboxState = 'starting' | 'running' | 'closing' | 'closed';

export { readSandboxRecord, STATE_FILE, type SandboxRecord, type SandboxUrls } from './sandboxRecord';

/** The node the sandbox's kubelet registers. */
export const NODE_NAME = 'sandbox';

function portError(what: string, flag: string, e: unknown, address: string): unknown {
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return new PortInUseError(what, address, `choose another with ${flag} or stop what uses it`, { cause: e });
  }
  return e;
}

export class Sandbox {
  readonly dir: string;
  readonly controlPlane: ControlPlaneKind;
  readonly tracker: ProcessTracker;
  readonly logger: Logger;
  readonly kubeconfigPath: string;
  token = '';
  caPem = '';
  urls: SandboxUrls = { api: '', gateway: '', control: '' };
  kubelet?: Kubelet;
  gateway?: Gateway;
  httpSd?: HttpSdServer;
  prometheus?: PrometheusServer;
  private backend?: ControlPlaneBackend;
  private homeMade?: HomeMadeControlPlane;
  private redisHandle?: { url: string; started: boolean; close(): Promise<void> };
  private control?: ControlServer;
  private stateValue: SandboxState = 'starting';
  private closing?: Promise<void>;
  private readonly startedAt = new Date().toISOString();

  private constructor(private readonly opts: SandboxOptions) {
    this.dir = resolve(opts.dir);
    this.controlPlane = opts.controlPlane ?? 'home-made';
    mkdirSync(this.dir, { recursive: true });
    this.logger = opts.logger ?? createLogger({ name: 'ramp-sandbox', file: join(this.dir, 'sandbox.log') });
    this.tracker = new ProcessTracker(this.dir);
    this.kubeconfigPath = join(this.dir, 'kubeconfig');
  }

  get state(): SandboxState {
    return this.stateValue;
  }

  /** The cluster with the admin's rights, on either control plane: what tests and the demo read and write through. */
  get cluster(): ClusterApi {
    if (!this.backend) throw new SandboxError(`the sandbox has no cluster while ${this.stateValue}`);
    return this.backend.admin;
  }

  /** The real control plane (controlPlane 'kubernetes'): its processes and credentials. */
  get kubernetes(): KubernetesControlPlane | undefined {
    return this.backend instanceof KubernetesBackend ? this.backend.controlPlane : undefined;
  }

  private homeMadePart(what: string): HomeMadeControlPlane {
    if (!this.homeMade) {
      throw new SandboxError(
        `${what} is part of the home-made control plane; this sandbox runs the ${this.controlPlane} one (use sb.cluster)`,
      );
    }
    return this.homeMade;
  }

  /** Home-made only: the API server's object store. */
  get store(): ObjectStore {
    return this.homeMadePart('the object store').store;
  }

  /** Home-made only: the API server's registry (in-process reads and writes). */
  get registry(): Registry {
    return this.homeMadePart('the registry').registry;
  }

  /** Home-made only: fault injection into the API server. */
  get faults(): FaultInjector {
    return this.homeMadePart('fault injection').faults;
  }

  /** Home-made only: the API server (request log and counts). */
  get apiServer(): ApiServer {
    return this.homeMadePart('the API server').apiServer;
  }

  /** Starts every part; on failure stops what had started and rethrows. */
  static async start(opts: SandboxOptions): Promise<Sandbox> {
    const existing = readSandboxRecord(resolve(opts.dir));
    if (existing && existing.pid !== process.pid && isAlive(existing.pid)) {
      throw new SandboxError(
        `a sandbox is already running in ${resolve(opts.dir)} (pid ${existing.pid}); stop it with \`ramp sandbox down --dir ${opts.dir}\` or use another --dir`,
      );
    }
    // A sandbox that died without cleaning up leaves pid files: its children go now.
    ProcessTracker.killRecorded(resolve(opts.dir));
    const sb = new Sandbox(opts);
    try {
      await sb.startParts();
    } catch (e) {
      sb.logger.error({ err: e }, 'sandbox start failed');
      await sb.close();
      throw e;
    }
    sb.stateValue = 'running';
    sb.logger.info({ urls: sb.urls, controlPlane: sb.controlPlane }, 'sandbox running');
    return sb;
  }

  private async startParts(): Promise<void> {
    const o = this.opts;
    const backend = this.controlPlane === 'kubernetes' ? await this.startKubernetes() : await this.startHomeMade();
    this.urls.api = backend.url;
    this.token = backend.adminToken;
    this.caPem = backend.caPem;
    writeFileSync(join(this.dir, 'ca.crt'), backend.caPem);
    writeKubeconfig(this.kubeconfigPath, { server: backend.url, caPem: backend.caPem, token: backend.adminToken });
    this.kubelet = new Kubelet({
      ...backend.kubeletJoin(),
      stateDir: this.dir,
      nodeName: NODE_NAME,
      tracker: this.tracker,
      backoff: o.backoff,
    });
    await this.kubelet.start();
    // A new real node is schedulable once the node lifecycle controller has seen it Ready: meanwhile the rest starts.
    await Promise.all([this.startDataPlane(backend.reader), backend.schedulable()]);
    await this.startExtras();
    this.control = new ControlServer({
      auth: backend.auth,
      faults: this.homeMade?.faults,
      store: this.homeMade?.store,
      requestCounts: this.homeMade?.apiServer.requestCounts,
      status: () => this.status(),
    });
    this.urls.control = await this.control.listen();
    const record: SandboxRecord = {
      pid: process.pid,
      dir: this.dir,
      startedAt: this.startedAt,
      urls: this.urls,
      kubeconfig: this.kubeconfigPath,
      controlPlane: this.controlPlane,
    };
    writeFileSync(join(this.dir, STATE_FILE), JSON.stringify(record, null, 2) + '\n');
  }

  private async startHomeMade(): Promise<ControlPlaneBackend> {
    const o = this.opts;
    const hm = new HomeMadeControlPlane({
      tokenFile: join(this.dir, 'tokens.csv'),
      nodeName: NODE_NAME,
      // The API server reads pod logs from the kubelet in this process.
      logs: { open: (pod, opts) => (this.kubelet as Kubelet).open(pod, opts) },
      port: o.apiPort,
      bookmarkIntervalMs: o.bookmarkIntervalMs,
      historyLimit: o.historyLimit,
      onInternalError: (err, method, url) => this.logger.error({ err, method, url }, 'API server internal error'),
    });
    this.homeMade = hm;
    this.backend = hm;
    try {
      await hm.start();
    } catch (e) {
      throw portError('the sandbox API server', '--api-port', e, `127.0.0.1:${o.apiPort ?? 0}`);
    }
    return hm;
  }

  private async startKubernetes(): Promise<ControlPlaneBackend> {
    const k = new KubernetesBackend({
      dir: this.dir,
      tracker: this.tracker,
      nodeName: NODE_NAME,
      apiPort: this.opts.apiPort,
      logger: this.logger,
    });
    this.backend = k;
    await k.start();
    return k;
  }

  /** The gateway and the Prometheus discovery, reading the cluster with their own credentials. */
  private async startDataPlane(reader: ClusterApi): Promise<void> {
    const o = this.opts;
    this.gateway = new Gateway({ cluster: reader, port: o.gatewayPort });
    try {
      this.urls.gateway = await this.gateway.listen();
    } catch (e) {
      throw portError('the sandbox gateway', '--gateway-port', e, `127.0.0.1:${o.gatewayPort ?? 0}`);
    }
    if (o.prometheus !== false) {
      this.httpSd = new HttpSdServer({ cluster: reader });
      const sdUrl = await this.httpSd.listen();
      this.prometheus = new PrometheusServer({
        stateDir: this.dir,
        sdUrl,
        tracker: this.tracker,
        binary: o.prometheusBinary,
        ...(o.scrapeIntervalSeconds !== undefined ? { scrapeIntervalSeconds: o.scrapeIntervalSeconds } : {}),
      });
      this.urls.prometheus = await this.prometheus.start();
    }
  }

  private async startExtras(): Promise<void> {
    const o = this.opts;
    if (o.redis !== false) {
      this.redisHandle = await ensureRedis({ stateDir: this.dir, url: o.redisUrl, tracker: this.tracker });
      this.urls.redis = this.redisHandle.url;
    }
  }

  /** A summary for `ramp sandbox status` and the control endpoint. */
  async status(): Promise<{
    state: SandboxState;
    controlPlane: ControlPlaneKind;
    dir: string;
    pid: number;
    startedAt: string;
    urls: SandboxUrls;
    pods: Record<string, number>;
    watches?: number;
    resourceVersion?: string;
  }> {
    const pods: Record<string, number> = {};
    for (const p of await this.cluster.list(resource('pods'))) {
      const phase = p.metadata.deletionTimestamp
        ? 'Terminating'
        : String((p.status as { phase?: string } | undefined)?.phase ?? 'Unknown');
      pods[phase] = (pods[phase] ?? 0) + 1;
    }
    return {
      state: this.stateValue,
      controlPlane: this.controlPlane,
      dir: this.dir,
      pid: process.pid,
      startedAt: this.startedAt,
      urls: this.urls,
      pods,
      ...(this.homeMade
        ? { watches: this.homeMade.store.watchCount(), resourceVersion: this.homeMade.store.currentResourceVersion() }
        : {}),
    };
  }

  /** Pids of the control plane's own processes (none for the home-made one: it runs in this process). */
  controlPlanePids(): number[] {
    return this.backend?.pids() ?? [];
  }

  /** Stops everything it started, in reverse order, each step even if an earlier one failed. Safe twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stateValue = 'closing';
    this.closing = (async () => {
      const steps: [string, (() => Promise<void>) | undefined][] = [
        ['control server', this.control && (() => this.control!.close())],
        ['gateway', this.gateway && (() => this.gateway!.close())],
        ['kubelet', this.kubelet && (() => this.kubelet!.close())],
        ['prometheus', this.prometheus && (() => this.prometheus!.close())],
        ['service discovery', this.httpSd && (() => this.httpSd!.close())],
        [`${this.controlPlane} control plane`, this.backend && (() => this.backend!.close())],
        ['redis', this.redisHandle && (() => this.redisHandle!.close())],
      ];
      for (const [name, step] of steps) {
        if (!step) continue;
        try {
          await step();
        } catch (err) {
          this.logger.error({ err, step: name }, 'sandbox close step failed');
        }
      }
      ProcessTracker.killRecorded(this.dir);
      const rec = readSandboxRecord(this.dir);
      if (rec && rec.pid === process.pid && existsSync(join(this.dir, STATE_FILE)))
        rmSync(join(this.dir, STATE_FILE), { force: true });
      this.stateValue = 'closed';
      this.logger.info('sandbox closed');
      this.logger.flush?.();
    })();
    return this.closing;
  }
}
