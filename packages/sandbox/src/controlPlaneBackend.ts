/**
 * A running control plane as the rest of the sandbox sees it — the seam between the two kinds (the
 * home-made API server in this process, the real etcd and kube-apiserver as processes) and what runs on
 * top of either: the kubelet, the gateway, the Prometheus discovery and the control endpoint.
 */
import type { TokenAuthenticator } from './apiServer/auth';
import type { ClusterApi } from './cluster/clusterApi';
import type { KubeletOptions } from './kubelet/kubelet';

/** Which control plane runs under the kubelet: the sandbox's own, or the real one built from Go modules. */
export type ControlPlaneKind = 'home-made' | 'kubernetes';

export const CONTROL_PLANES: readonly ControlPlaneKind[] = ['home-made', 'kubernetes'];

/** How the kubelet joins a control plane: its credentials, addresses, and what the control plane expects of a node. */
export type KubeletJoin = Pick<
  KubeletOptions,
  'cluster' | 'nodeAddress' | 'podNetwork' | 'apiServer' | 'nodeLabels' | 'lease' | 'server'
>;

export interface ControlPlaneBackend {
  readonly kind: ControlPlaneKind;
  /** The API server's URL, its CA and the admin's token: what the kubeconfig holds. */
  readonly url: string;
  readonly caPem: string;
  readonly adminToken: string;
  /** Who may use the sandbox's control endpoint (the admin). */
  readonly auth: TokenAuthenticator;
  /** The cluster with the admin's rights. */
  readonly admin: ClusterApi;
  /** Read access for the gateway and the Prometheus discovery. */
  readonly reader: ClusterApi;
  /** How the sandbox's kubelet joins as the node `nodeName`. */
  kubeletJoin(): KubeletJoin;
  /** Resolves once pods can be scheduled to the node (the real one taints a new node until it has seen it Ready). */
  schedulable(): Promise<void>;
  /** Pids of its processes (none when it runs in this process). */
  pids(): number[];
  /** Stops it, every part even if one fails. Safe to call twice. */
  close(): Promise<void>;
}
