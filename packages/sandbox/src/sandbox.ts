/**
 * `ramp sandbox` as a library: a real-enough Kubernetes on one machine (API server, controllers, a
 * kubelet running pods as local processes, a gateway), the real Prometheus scraping the pods, and a
 * Redis. Tests start one in-process and close it in afterAll; `ramp sandbox up` runs one in a
 * background process.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TokenAuthenticator, writeAdminTokenFile } from './apiServer/auth';
import { createServingCertificates } from './apiServer/certificates';
import { FaultInjector } from './apiServer/faults';
import { Registry } from './apiServer/registry';
import { resource } from './apiServer/resources';
import { ApiServer } from './apiServer/server';
import { ObjectStore } from './apiServer/store';
import { ControlServer } from './controlServer';
import { ControllerManager } from './controllers/controllerManager';
import { Gateway } from './gateway/gateway';
import { Kubelet } from './kubelet/kubelet';
import { writeKubeconfig } from './kubeconfig';
import { HttpSdServer } from './prometheus/httpSd';
import { PrometheusServer } from './prometheus/prometheusServer';
import { ensureRedis } from './redis';
import { isAlive, ProcessTracker } from './util/processes';
import { createLogger, type Logger } from './util/logger';
import { PortInUseError } from './errors/portInUseError';
import { SandboxError } from './errors/sandboxError';

export interface SandboxOptions {
  /** Where the sandbox keeps its kubeconfig, token, logs, pod logs and Prometheus data. */
  dir: string;
  apiPort?: number;
  gatewayPort?: number;
  /** Start the real Prometheus (default true). */
  prometheus?: boolean;
  /** Reuse or start a Redis (default true). */
  redis?: boolean;
  /** The prometheus program (default: `prometheus` on PATH). */
  prometheusBinary?: string;
  /** Redis to reuse when it answers; default REDIS_URL or redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** Container restart back-off (Kubernetes: 10 s doubling to 5 min). Tests shorten it. */
  backoff?: { initialMs: number; maxMs: number };
  bookmarkIntervalMs?: number;
  /** Watch history length before a watch from an old resourceVersion gets 410. */
  historyLimit?: number;
  logger?: Logger;
}

export type SandboxState = 'starting' | 'running' | 'closing' | 'closed';

export interface SandboxUrls {
  api: string;
  gateway: string;
  control: string;
  prometheus?: string;
  redis?: string;
}

/** What state.json holds: enough for another process to find and stop this sandbox. */
export interface SandboxRecord {
  pid: number;
  dir: string;
  startedAt: string;
  urls: SandboxUrls;
  kubeconfig: string;
}

export const STATE_FILE = 'state.json';

/** Reads a sandbox's state.json, or undefined when there is none (or it is garbage). */
export function readSandboxRecord(dir: string): SandboxRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as SandboxRecord;
  } catch {
    return undefined;
  }
}

function portError(what: string, flag: string, e: unknown, address: string): unknown {
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return new PortInUseError(what, address, `choose another with ${flag} or stop what uses it`, { cause: e });
  }
  return e;
}

export class Sandbox {
  readonly dir: string;
  readonly tracker: ProcessTracker;
  readonly store: ObjectStore;
  readonly registry: Registry;
  readonly faults = new FaultInjector();
  readonly logger: Logger;
  readonly kubeconfigPath: string;
  token = '';
  caPem = '';
  urls: SandboxUrls = { api: '', gateway: '', control: '' };
  apiServer?: ApiServer;
  controllers?: ControllerManager;
  kubelet?: Kubelet;
  gateway?: Gateway;
  httpSd?: HttpSdServer;
  prometheus?: PrometheusServer;
  private redisHandle?: { url: string; started: boolean; close(): Promise<void> };
  private control?: ControlServer;
  private stateValue: SandboxState = 'starting';
  private closing?: Promise<void>;
  private readonly startedAt = new Date().toISOString();

  private constructor(private readonly opts: SandboxOptions) {
    this.dir = resolve(opts.dir);
    mkdirSync(this.dir, { recursive: true });
    this.logger = opts.logger ?? createLogger({ name: 'ramp-sandbox', file: join(this.dir, 'sandbox.log') });
    this.tracker = new ProcessTracker(this.dir);
    this.store = new ObjectStore({ historyLimit: opts.historyLimit });
    this.registry = new Registry(this.store);
    this.kubeconfigPath = join(this.dir, 'kubeconfig');
  }

  get state(): SandboxState {
    return this.stateValue;
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
    sb.logger.info({ urls: sb.urls }, 'sandbox running');
    return sb;
  }

  private async startParts(): Promise<void> {
    const o = this.opts;
    const certs = createServingCertificates();
    this.caPem = certs.caCert;
    writeFileSync(join(this.dir, 'ca.crt'), certs.caCert);
    this.token = writeAdminTokenFile(join(this.dir, 'tokens.csv'));
    const auth = TokenAuthenticator.fromFile(join(this.dir, 'tokens.csv'));

    this.kubelet = new Kubelet({
      registry: this.registry,
      stateDir: this.dir,
      tracker: this.tracker,
      backoff: o.backoff,
    });
    this.apiServer = new ApiServer({
      registry: this.registry,
      auth,
      tls: certs,
      faults: this.faults,
      logs: this.kubelet,
      port: o.apiPort,
      bookmarkIntervalMs: o.bookmarkIntervalMs,
      onInternalError: (err, method, url) => this.logger.error({ err, method, url }, 'API server internal error'),
    });
    try {
      this.urls.api = await this.apiServer.listen();
    } catch (e) {
      throw portError('the sandbox API server', '--api-port', e, `127.0.0.1:${o.apiPort ?? 0}`);
    }
    writeKubeconfig(this.kubeconfigPath, { server: this.urls.api, caPem: certs.caCert, token: this.token });

    this.controllers = new ControllerManager({ registry: this.registry });
    this.controllers.start();
    await this.kubelet.start();

    this.gateway = new Gateway({ registry: this.registry, port: o.gatewayPort });
    try {
      this.urls.gateway = await this.gateway.listen();
    } catch (e) {
      throw portError('the sandbox gateway', '--gateway-port', e, `127.0.0.1:${o.gatewayPort ?? 0}`);
    }

    if (o.prometheus !== false) {
      this.httpSd = new HttpSdServer({ registry: this.registry });
      const sdUrl = await this.httpSd.listen();
      this.prometheus = new PrometheusServer({
        stateDir: this.dir,
        sdUrl,
        tracker: this.tracker,
        binary: o.prometheusBinary,
      });
      this.urls.prometheus = await this.prometheus.start();
    }
    if (o.redis !== false) {
      this.redisHandle = await ensureRedis({ stateDir: this.dir, url: o.redisUrl, tracker: this.tracker });
      this.urls.redis = this.redisHandle.url;
    }

    this.control = new ControlServer({
      auth,
      faults: this.faults,
      store: this.store,
      requestCounts: this.apiServer.requestCounts,
      status: () => this.status(),
    });
    this.urls.control = await this.control.listen();
    const record: SandboxRecord = {
      pid: process.pid,
      dir: this.dir,
      startedAt: this.startedAt,
      urls: this.urls,
      kubeconfig: this.kubeconfigPath,
    };
    writeFileSync(join(this.dir, STATE_FILE), JSON.stringify(record, null, 2) + '\n');
  }

  /** A summary for `ramp sandbox status` and the control endpoint. */
  status(): {
    state: SandboxState;
    dir: string;
    pid: number;
    startedAt: string;
    urls: SandboxUrls;
    pods: Record<string, number>;
    watches: number;
    resourceVersion: string;
  } {
    const pods: Record<string, number> = {};
    for (const p of this.registry.list(resource('pods')).items) {
      const phase = p.metadata.deletionTimestamp
        ? 'Terminating'
        : String((p.status as { phase?: string } | undefined)?.phase ?? 'Unknown');
      pods[phase] = (pods[phase] ?? 0) + 1;
    }
    return {
      state: this.stateValue,
      dir: this.dir,
      pid: process.pid,
      startedAt: this.startedAt,
      urls: this.urls,
      pods,
      watches: this.store.watchCount(),
      resourceVersion: this.store.currentResourceVersion(),
    };
  }

  /** Stops everything it started, in reverse order, each step even if an earlier one failed. Safe twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stateValue = 'closing';
    this.closing = (async () => {
      const steps: [string, (() => Promise<void>) | undefined][] = [
        ['control server', this.control && (() => this.control!.close())],
        ['gateway', this.gateway && (() => this.gateway!.close())],
        ['controllers', this.controllers && (() => this.controllers!.close())],
        ['kubelet', this.kubelet && (() => this.kubelet!.close())],
        ['api server', this.apiServer && (() => this.apiServer!.close())],
        ['prometheus', this.prometheus && (() => this.prometheus!.close())],
        ['service discovery', this.httpSd && (() => this.httpSd!.close())],
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
