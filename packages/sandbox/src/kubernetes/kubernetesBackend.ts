/**
 * The real control plane as the sandbox's backend: starts it, gives each of the sandbox's parts a client
 * with its own credentials (the admin; the kubelet as `system:node:<node>`; the gateway and Prometheus
 * discovery as `ramp-sandbox:gateway`), says how the kubelet joins as a node (10.244.x.y pods, its HTTPS
 * server for logs, a Lease), and waits for the new node to become schedulable.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenAuthenticator } from '../apiServer/auth';
import { resource } from '../apiServer/resources';
import type { ClusterApi } from '../cluster/clusterApi';
import type { ControlPlaneBackend, KubeletJoin } from '../controlPlaneBackend';
import { ROUTED_POD_NETWORK } from '../kubelet/ipAllocator';
import { waitFor } from '../util/ports';
import { KubernetesControlPlane, type KubernetesControlPlaneOptions } from './controlPlane';
import { CONTROL_PLANE_ADDRESS } from './network';

export class KubernetesBackend implements ControlPlaneBackend {
  readonly kind = 'kubernetes' as const;
  readonly controlPlane: KubernetesControlPlane;
  private readonly clients: ClusterApi[] = [];
  private adminClient: ClusterApi | undefined;
  private readerClient: ClusterApi | undefined;
  private authValue: TokenAuthenticator | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: KubernetesControlPlaneOptions) {
    this.controlPlane = new KubernetesControlPlane(opts);
  }

  /** Starts the control plane; the admin's token goes to `<dir>/tokens.csv` (the control endpoint reads it there). */
  async start(): Promise<void> {
    await this.controlPlane.start();
    const pki = this.controlPlane.pki;
    const tokens = join(this.opts.dir, 'tokens.csv');
    writeFileSync(tokens, `${pki.tokens.admin},sandbox-admin,sandbox-admin,"system:masters"\n`, { mode: 0o600 });
    this.authValue = TokenAuthenticator.fromFile(tokens);
    this.adminClient = this.client(pki.tokens.admin, 'ramp-sandbox');
    this.readerClient = this.client(pki.tokens.gateway, 'ramp-sandbox-gateway');
  }

  private started<T>(v: T | undefined): T {
    if (v === undefined) throw new Error(`the real control plane is ${this.controlPlane.state}`);
    return v;
  }

  get url(): string {
    return this.controlPlane.url;
  }

  get caPem(): string {
    return this.controlPlane.pki.caCert;
  }

  get adminToken(): string {
    return this.controlPlane.pki.tokens.admin;
  }

  get auth(): TokenAuthenticator {
    return this.started(this.authValue);
  }

  get admin(): ClusterApi {
    return this.started(this.adminClient);
  }

  get reader(): ClusterApi {
    return this.started(this.readerClient);
  }

  private client(token: string, userAgent: string): ClusterApi {
    const c = this.controlPlane.cluster(token, userAgent);
    this.clients.push(c);
    return c;
  }

  kubeletJoin(): KubeletJoin {
    const pki = this.controlPlane.pki;
    return {
      cluster: this.client(pki.tokens.node, `kubelet/${this.opts.nodeName}`),
      nodeAddress: CONTROL_PLANE_ADDRESS,
      podNetwork: ROUTED_POD_NETWORK,
      // No kube-proxy makes the `kubernetes` Service's ClusterIP answer: pods get kube-apiserver's own address.
      apiServer: { host: CONTROL_PLANE_ADDRESS, port: Number(new URL(this.url).port) },
      lease: true,
      server: { cert: pki.kubelet.cert, key: pki.kubelet.key, clientCa: pki.caCert },
    };
  }

  /** Ready, and without the not-ready taint the node lifecycle controller puts on a new node until then. */
  async schedulable(): Promise<void> {
    await waitFor(
      async () => {
        const node = await this.admin.get(resource('nodes'), undefined, this.opts.nodeName);
        const taints = ((node?.spec as { taints?: { key: string }[] } | undefined)?.taints ?? []).map((t) => t.key);
        const conditions = (node?.status as { conditions?: { type: string; status: string }[] } | undefined)
          ?.conditions;
        // A node just registered has neither its status nor the not-ready taint yet: wait for Ready too.
        const ready = (conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
        return !!node && ready && !taints.includes('node.kubernetes.io/not-ready');
      },
      `node ${this.opts.nodeName} to become schedulable`,
      60_000,
      100,
    );
  }

  pids(): number[] {
    return this.controlPlane.pids();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const c of this.clients) c.close();
      await this.controlPlane.close();
    })();
    return this.closing;
  }
}
