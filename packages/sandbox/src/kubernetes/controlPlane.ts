/**
 * The real control plane as a sandbox backend: etcd (data in the sandbox directory), kube-apiserver
 * (RBAC + Node authorization, NodeRestriction, static tokens, the service-account issuer),
 * kube-controller-manager (service-account token controller, so namespaces get `default`
 * ServiceAccounts and `kube-root-ca.crt`) and kube-scheduler, as tracked processes; the Gateway API
 * CRDs installed. Stopped in reverse order: kube-apiserver hangs for minutes retrying etcd if etcd goes
 * first.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { HttpCluster } from '../cluster/httpCluster';
import type { ApiResource } from '../cluster/clusterApi';
import type { KubeObject } from '../apiServer/types';
import { MissingBinaryError } from '../errors/missingBinaryError';
import { writeKubeconfig } from '../kubeconfig';
import { freePort, waitFor } from '../util/ports';
import type { ProcessTracker } from '../util/processes';
import { launchOnPort, type ServerLaunch } from '../util/serverProcess';
import type { Logger } from '../util/logger';
import { findKubernetesBinaries, type KubernetesBinaries } from './binaries';
import { apiServerArgs, controllerManagerArgs, etcdArgs, healthy, schedulerArgs, type EtcdPorts } from './components';
import { CONTROL_PLANE_ADDRESS, ensureLocalRoutes } from './network';
import { createControlPlanePki, GATEWAY_USER, type ControlPlanePki } from './pki';

export interface KubernetesControlPlaneOptions {
  /** The sandbox directory; the control plane's files go to `<dir>/kubernetes/`. */
  dir: string;
  tracker: ProcessTracker;
  /** The kubelet's node name: its token is `system:node:<nodeName>`. */
  nodeName: string;
  /** kube-apiserver's port (default: a free one). */
  apiPort?: number;
  binaries?: KubernetesBinaries;
  logger?: Logger;
}

export type ControlPlaneState = 'new' | 'starting' | 'running' | 'closing' | 'closed';

const ATTEMPTS = 5;
const CRDS: ApiResource = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};
const RBAC = (resource: string, kind: string): ApiResource => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource,
  kind,
  namespaced: false,
});

/** Read access for the gateway and the Prometheus discovery, which act as a cluster's gateway controller would. */
const GATEWAY_RULES = [
  { apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'watch'] },
];

export class KubernetesControlPlane {
  readonly work: string;
  readonly binaries: KubernetesBinaries;
  private stateValue: ControlPlaneState = 'new';
  private pkiValue: ControlPlanePki | undefined;
  private apiUrl = '';
  private readonly processes: { name: string; child: ChildProcess }[] = [];
  private closing: Promise<void> | undefined;
  private admin: HttpCluster | undefined;

  constructor(private readonly opts: KubernetesControlPlaneOptions) {
    this.work = join(opts.dir, 'kubernetes');
    this.binaries = opts.binaries ?? findKubernetesBinaries();
  }

  get state(): ControlPlaneState {
    return this.stateValue;
  }

  /** kube-apiserver's URL once started. */
  get url(): string {
    return this.apiUrl;
  }

  get pki(): ControlPlanePki {
    if (!this.pkiValue) throw new Error(`the control plane has no credentials while ${this.stateValue}`);
    return this.pkiValue;
  }

  /** A client with the admin token. */
  cluster(token = this.pki.tokens.admin, userAgent = 'ramp-sandbox'): HttpCluster {
    return new HttpCluster({ server: this.apiUrl, caPem: this.pki.caCert, token, userAgent });
  }

  /** Starts everything and resolves once the API serves, the CRDs are established and `default` has its ServiceAccount. */
  async start(): Promise<void> {
    if (this.stateValue !== 'new') throw new Error(`the control plane cannot start: it is ${this.stateValue}`);
    this.stateValue = 'starting';
    await ensureLocalRoutes();
    mkdirSync(this.work, { recursive: true });
    // The credentials are made while etcd starts (etcd needs none of them).
    const [pki, etcd] = await Promise.all([
      createControlPlanePki(join(this.work, 'pki'), this.opts.nodeName),
      this.startEtcd(),
    ]);
    this.pkiValue = pki;
    await this.startApiServer(etcd.client);
    this.admin = this.cluster();
    await Promise.all([this.installCrds(), this.grantGateway(), this.startComponents()]);
    await waitFor(
      async () => !!(await this.admin?.get(SERVICE_ACCOUNTS, 'default', 'default')),
      'the controller-manager to create the default ServiceAccount',
      60_000,
      100,
    );
    this.stateValue = 'running';
  }

  private log(msg: string, extra: Record<string, unknown> = {}): void {
    this.opts.logger?.info(extra, msg);
  }

  private launch(name: string, binary: string, args: (port: number) => string[], ready: ServerLaunch['ready']) {
    const spec: ServerLaunch = {
      tracker: this.opts.tracker,
      name,
      program: name,
      binary,
      args,
      logFile: join(this.work, `${name}.log`),
      ready,
      addressInUse: /address already in use/,
      notFound: (cause) =>
        new MissingBinaryError(name, 'build the control plane with `bash scripts/kubernetes/build.sh`', {
          cause,
          path: binary,
        }),
      readyTimeoutMs: 90_000,
    };
    return spec;
  }

  /** Tries free ports until the process binds one; records it for close(). */
  private async onFreePort(
    name: string,
    pick: () => Promise<number>,
    make: (port: number) => ServerLaunch,
  ): Promise<number> {
    const t0 = Date.now();
    for (let i = 1; ; i++) {
      const port = await pick();
      const child = await launchOnPort(make(port), port);
      if (child !== 'portTaken') {
        this.processes.push({ name, child });
        this.log(`${name} ready`, { port, ms: Date.now() - t0 });
        return port;
      }
      if (i >= ATTEMPTS) throw new Error(`${name} could not bind a port after ${ATTEMPTS} attempts`);
    }
  }

  private async startEtcd(): Promise<EtcdPorts> {
    let ports: EtcdPorts = { client: 0, peer: 0 };
    await this.onFreePort(
      'etcd',
      async () => {
        ports = { client: await freePort(), peer: await freePort() };
        return ports.client;
      },
      () =>
        this.launch(
          'etcd',
          this.binaries.etcd,
          () => etcdArgs(this.work, ports),
          async (port) => {
            const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
            return res.ok && ((await res.json()) as { health?: string }).health === 'true';
          },
        ),
    );
    return ports;
  }

  private async startApiServer(etcdClient: number): Promise<void> {
    const pki = this.pki;
    const port = await this.onFreePort(
      'kube-apiserver',
      async () => this.opts.apiPort ?? (await freePort(CONTROL_PLANE_ADDRESS)),
      () =>
        this.launch(
          'kube-apiserver',
          this.binaries.kubeApiserver,
          (p) => apiServerArgs(this.work, pki, etcdClient, p),
          (p) => healthy(`https://${CONTROL_PLANE_ADDRESS}:${p}/readyz`, { ca: pki.caCert, token: pki.tokens.admin }),
        ),
    );
    this.apiUrl = `https://${CONTROL_PLANE_ADDRESS}:${port}`;
  }

  private async startComponents(): Promise<void> {
    const pki = this.pki;
    const kubeconfig = (name: string, token: string): string => {
      const path = join(this.work, `${name}.kubeconfig`);
      writeKubeconfig(path, { server: this.apiUrl, caPem: pki.caCert, token, name });
      return path;
    };
    const kcm = kubeconfig('kube-controller-manager', pki.tokens.controllerManager);
    const sched = kubeconfig('kube-scheduler', pki.tokens.scheduler);
    const health = (p: number) => healthy(`https://127.0.0.1:${p}/healthz`);
    await Promise.all([
      this.onFreePort(
        'kube-controller-manager',
        () => freePort(),
        () =>
          this.launch(
            'kube-controller-manager',
            this.binaries.kubeControllerManager,
            (p) => controllerManagerArgs(this.work, pki, kcm, p),
            health,
          ),
      ),
      this.onFreePort(
        'kube-scheduler',
        () => freePort(),
        () =>
          this.launch('kube-scheduler', this.binaries.kubeScheduler, (p) => schedulerArgs(this.work, sched, p), health),
      ),
    ]);
  }

  /** Installs the Gateway API standard CRDs and waits until they are Established. */
  private async installCrds(): Promise<void> {
    const admin = this.admin as HttpCluster;
    const dir = this.binaries.gatewayApiCrds;
    const crds = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => YAML.parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as KubeObject))
      .filter((o) => o?.kind === 'CustomResourceDefinition');
    await Promise.all(crds.map((crd) => admin.create(CRDS, undefined, crd)));
    await waitFor(
      async () => {
        const all = await admin.list(CRDS);
        return crds.every((c) =>
          all.some(
            (o) =>
              o.metadata.name === c.metadata.name &&
              ((o.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some(
                (x) => x.type === 'Established' && x.status === 'True',
              ),
          ),
        );
      },
      'the Gateway API CRDs to be established',
      60_000,
      100,
    );
    this.log('Gateway API CRDs established', { count: crds.length });
  }

  /** RBAC for the gateway's user: read what it routes and what Prometheus scrapes. */
  private async grantGateway(): Promise<void> {
    const admin = this.admin as HttpCluster;
    const name = 'ramp-sandbox:gateway';
    await admin.create(RBAC('clusterroles', 'ClusterRole'), undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: GATEWAY_RULES,
    });
    await admin.create(RBAC('clusterrolebindings', 'ClusterRoleBinding'), undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: GATEWAY_USER }],
    });
  }

  /** Pids of the control-plane processes (for RSS measurements). */
  pids(): number[] {
    return this.processes.map((p) => p.child.pid).filter((p): p is number => p !== undefined);
  }

  /** Stops the scheduler, the controller-manager, kube-apiserver and etcd, in that order, each even if one before failed. Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stateValue = 'closing';
      this.admin?.close();
      for (const { name, child } of [...this.processes].reverse()) {
        try {
          await this.opts.tracker.stop(child, 20_000);
        } catch (err) {
          this.opts.logger?.error({ err, process: name }, 'stopping a control-plane process failed');
        }
      }
      this.processes.length = 0;
      this.stateValue = 'closed';
    })();
    return this.closing;
  }
}

const SERVICE_ACCOUNTS: ApiResource = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  kind: 'ServiceAccount',
  namespaced: true,
};
