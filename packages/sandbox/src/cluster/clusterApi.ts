/**
 * What the sandbox's node-side parts (kubelet, gateway, Prometheus discovery) and its tests need from a
 * control plane, as one small interface with two implementations: the home-made API server's registry in
 * this process (`RegistryCluster`), and any Kubernetes API server over HTTPS (`HttpCluster`) — the real
 * kube-apiserver of `--control-plane kubernetes`. Errors are the API's own: a `StatusError` with its reason.
 */
import type { KubeObject } from '../apiServer/types';

/** A resource as the REST paths name it (the home-made server's `ResourceType` is one). */
export interface ApiResource {
  group: string;
  version: string;
  /** Plural name: `pods`. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

/** Coordination Leases: nodes renew one each (kube-node-lease); the home-made API server has none. */
export const LEASES: ApiResource = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  namespaced: true,
};

export interface ClusterListOptions {
  namespace?: string;
  /** As on the wire: `app=web,tier!=db`. */
  labelSelector?: string;
  /** As on the wire: `spec.nodeName=sandbox`. */
  fieldSelector?: string;
}

export interface ClusterDeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type ClusterEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ClusterEvent {
  type: ClusterEventType;
  object: KubeObject;
}

/** An informer-style watch: the current objects arrive as ADDED first, then every change. */
export interface ClusterWatch {
  /** Settles once the current objects have been delivered (rejects if the first list fails). */
  readonly synced: Promise<void>;
  /** Stops delivering events. Safe to call twice. */
  stop(): void;
}

export interface TokenRequestInput {
  audiences?: string[];
  expirationSeconds?: number;
  /** The pod the token is bound to: it stops being valid when the pod is deleted. */
  boundPod?: { name: string; uid: string };
}

export interface IssuedToken {
  token: string;
  expirationTimestamp: string;
}

export interface ClusterApi {
  /** Which control plane answers: the home-made API server or a real kube-apiserver. */
  readonly kind: 'home-made' | 'kubernetes';

  /** The object, or undefined when it does not exist. */
  get(r: ApiResource, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;

  /** Every matching object (all pages). */
  list(r: ApiResource, opts?: ClusterListOptions): Promise<KubeObject[]>;

  /** Creates `body`; an existing name is a StatusError AlreadyExists. */
  create(r: ApiResource, namespace: string | undefined, body: KubeObject): Promise<KubeObject>;

  /**
   * Replaces the object (or only its status with `subresource: 'status'`). A body whose
   * metadata.resourceVersion is stale is a StatusError Conflict: re-read and try again.
   */
  update(
    r: ApiResource,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    opts?: { subresource?: 'status' },
  ): Promise<KubeObject>;

  /** Deletes the object; NotFound and failed preconditions (Conflict) are StatusErrors. */
  delete(r: ApiResource, namespace: string | undefined, name: string, opts?: ClusterDeleteOptions): Promise<void>;

  /** Watches matching objects; `listener` is never called after `stop()`. Recovers from dropped streams by itself. */
  watch(r: ApiResource, opts: ClusterListOptions, listener: (e: ClusterEvent) => void): ClusterWatch;

  /** A service-account token from the TokenRequest API, or undefined where the control plane has no such API. */
  requestToken(namespace: string, serviceAccount: string, input: TokenRequestInput): Promise<IssuedToken | undefined>;

  /** Closes connections. Watches should be stopped first. */
  close(): void;
}

const NAMESPACES: ApiResource = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};
const SERVICE_ACCOUNTS: ApiResource = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  kind: 'ServiceAccount',
  namespaced: true,
};

/**
 * Creates the namespace unless it exists (tests and the demo). On a real control plane it also waits for
 * the namespace's `default` ServiceAccount, which the controller-manager adds within moments: until then
 * the API server refuses the namespace's pods.
 */
export async function ensureNamespace(cluster: ClusterApi, name: string): Promise<void> {
  if (!(await cluster.get(NAMESPACES, undefined, name))) {
    try {
      await cluster.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e) {
      if ((e as { reason?: string }).reason !== 'AlreadyExists') throw e;
    }
  }
  if (cluster.kind !== 'kubernetes') return;
  for (let i = 0; i < 200 && !(await cluster.get(SERVICE_ACCOUNTS, name, 'default')); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
}
