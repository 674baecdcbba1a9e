/**
 * The home-made control plane (the default): the sandbox's own API server over its in-process store,
 * its controllers (Deployments, ReplicaSets, endpoints, namespaces, garbage collection) and its
 * scheduler, with fault injection for tests. Starts in well under a second and runs without root.
 */
import { TokenAuthenticator, writeAdminTokenFile } from './apiServer/auth';
import { createServingCertificates } from './apiServer/certificates';
import { FaultInjector } from './apiServer/faults';
import type { PodLogSource } from './apiServer/podLogSource';
import { Registry } from './apiServer/registry';
import { ApiServer } from './apiServer/server';
import { ObjectStore } from './apiServer/store';
import { RegistryCluster } from './cluster/registryCluster';
import type { ControlPlaneBackend, KubeletJoin } from './controlPlaneBackend';
import { ControllerManager } from './controllers/controllerManager';
import { Scheduler } from './kubelet/scheduler';

export interface HomeMadeOptions {
  tokenFile: string;
  nodeName: string;
  logs: PodLogSource;
  port?: number;
  bookmarkIntervalMs?: number;
  historyLimit?: number;
  onInternalError?: (err: unknown, method: string, url: string) => void;
}

export class HomeMadeControlPlane implements ControlPlaneBackend {
  readonly kind = 'home-made' as const;
  readonly store: ObjectStore;
  readonly registry: Registry;
  readonly faults = new FaultInjector();
  readonly cluster: RegistryCluster;
  readonly apiServer: ApiServer;
  readonly auth: TokenAuthenticator;
  readonly adminToken: string;
  readonly caPem: string;
  url = '';
  private controllers: ControllerManager | undefined;
  private scheduler: Scheduler | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: HomeMadeOptions) {
    this.store = new ObjectStore({ historyLimit: opts.historyLimit });
    this.registry = new Registry(this.store);
    this.cluster = new RegistryCluster(this.registry);
    const certs = createServingCertificates();
    this.caPem = certs.caCert;
    this.adminToken = writeAdminTokenFile(opts.tokenFile);
    this.auth = TokenAuthenticator.fromFile(opts.tokenFile);
    this.apiServer = new ApiServer({
      registry: this.registry,
      auth: this.auth,
      tls: certs,
      faults: this.faults,
      logs: opts.logs,
      port: opts.port,
      bookmarkIntervalMs: opts.bookmarkIntervalMs,
      onInternalError: opts.onInternalError,
    });
  }

  get admin(): RegistryCluster {
    return this.cluster;
  }

  get reader(): RegistryCluster {
    return this.cluster;
  }

  /** Serves the API and starts the controllers and the scheduler; resolves with the API server's URL. */
  async start(): Promise<string> {
    this.url = await this.apiServer.listen();
    this.controllers = new ControllerManager({ registry: this.registry });
    this.controllers.start();
    this.scheduler = new Scheduler(this.registry, this.opts.nodeName);
    this.scheduler.start();
    return this.url;
  }

  /** The kubelet works on the registry in this process; pods reach the API server on loopback. */
  kubeletJoin(): KubeletJoin {
    return {
      cluster: this.cluster,
      apiServer: { host: '127.0.0.1', port: Number(new URL(this.url).port) },
      nodeLabels: { 'node-role.kubernetes.io/control-plane': '' },
    };
  }

  /** The home-made scheduler binds every pod to the one node at once. */
  schedulable(): Promise<void> {
    return Promise.resolve();
  }

  pids(): number[] {
    return [];
  }

  /** Stops the controllers, the scheduler and the API server (each even if one before failed). Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const errors: unknown[] = [];
      try {
        this.scheduler?.close();
      } catch (e) {
        errors.push(e);
      }
      await this.controllers?.close().catch((e: unknown) => void errors.push(e));
      await this.apiServer.close().catch((e: unknown) => void errors.push(e));
      if (errors.length > 0) throw new AggregateError(errors, 'the home-made control plane did not close cleanly');
    })();
    return this.closing;
  }
}
