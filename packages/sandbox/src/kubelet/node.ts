/**
 * The sandbox's one Node object, as a kubelet registers and maintains it with its own credentials:
 * labels, addresses, capacity, nodeInfo, pressure conditions and a Ready condition whose heartbeat is
 * refreshed every ~10 s — and, where the control plane has them, its Lease in kube-node-lease, renewed
 * as often (the real node lifecycle controller taints a node whose Lease is older than its grace period).
 */
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1';
import { nowTimestamp } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import type { KubeObject } from '../apiServer/types';
import { LEASES, type ClusterApi } from '../cluster/clusterApi';

/** The Kubernetes version the sandbox's kubelet reports. */
export const KUBELET_VERSION = 'v1.32.0';

/** How often the node's heartbeat (and Lease) is written. */
export const HEARTBEAT_MS = 10_000;

/** A kubelet's Lease duration (its default, nodeLeaseDurationSeconds). */
export const LEASE_SECONDS = 40;

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readOr('/etc/os-release', ''));
  return m ? m[1] : 'Linux';
}

function arch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

function storageKi(dir: string): string {
  try {
    const s = statfsSync(dir);
    return `${Math.floor((s.blocks * s.bsize) / 1024)}Ki`;
  } catch {
    return '0';
  }
}

type ConditionState = 'True' | 'False' | 'Unknown';

function conditions(ready: ConditionState, now: string, prev: readonly NodeCondition[]): NodeCondition[] {
  const unknown = ready === 'Unknown';
  const table: [string, ConditionState, string, string][] = unknown
    ? ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((t) => [
        t,
        'Unknown',
        'NodeStatusUnknown',
        'Kubelet stopped posting node status.',
      ])
    : [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
        ['Ready', ready, 'KubeletReady', 'kubelet is posting ready status'],
      ];
  return table.map(([type, status, reason, message]) => {
    const before = prev.find((c) => c.type === type);
    return {
      type,
      status,
      // The node controller leaves the heartbeat alone when it marks a node Unknown.
      lastHeartbeatTime: unknown ? (before?.lastHeartbeatTime ?? now) : now,
      lastTransitionTime:
        before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now,
      reason,
      message,
    };
  });
}

export interface NodeAgentOptions {
  cluster: ClusterApi;
  nodeName: string;
  stateDir: string;
  /** InternalIP: the address the node (and its kubelet server) answers on. */
  address: string;
  podCidr: string;
  /** Node labels beyond the well-known ones a kubelet sets. */
  labels?: Record<string, string>;
  /** Renew a Lease in kube-node-lease (only a control plane that serves coordination.k8s.io has them). */
  lease?: boolean;
}

/** A microsecond timestamp (metav1.MicroTime), as Lease renewTime wants. */
function microTime(at = Date.now()): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Registers the node and keeps its heartbeat fresh. */
export class NodeAgent {
  private timer: NodeJS.Timeout | undefined;
  private readonly nodes = resource('nodes');
  private uid = '';
  readonly nodeName: string;
  /** The kubelet server's port (daemonEndpoints), where the API server fetches logs. */
  kubeletPort = 10250;

  constructor(private readonly opts: NodeAgentOptions) {
    this.nodeName = opts.nodeName;
  }

  private statusBody(ready: ConditionState, prev: readonly NodeCondition[]): NodeStatus {
    const machineId = readOr('/etc/machine-id', '00000000000000000000000000000000');
    const resources = {
      cpu: String(cpus().length),
      'ephemeral-storage': storageKi(this.opts.stateDir),
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: `${Math.floor(totalmem() / 1024)}Ki`,
      pods: '110',
    };
    return {
      addresses: [
        { type: 'InternalIP', address: this.opts.address },
        { type: 'Hostname', address: this.nodeName },
      ],
      allocatable: resources,
      capacity: resources,
      conditions: conditions(ready, nowTimestamp(), prev),
      daemonEndpoints: { kubeletEndpoint: { Port: this.kubeletPort } },
      nodeInfo: {
        architecture: arch(),
        bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
        containerRuntimeVersion: 'sandbox://0.1.0',
        kernelVersion: release(),
        kubeProxyVersion: KUBELET_VERSION,
        kubeletVersion: KUBELET_VERSION,
        machineID: machineId,
        operatingSystem: 'linux',
        osImage: osImage(),
        systemUUID: machineId.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5'),
      },
    };
  }

  /** Creates (or adopts) the Node object, marks it Ready, and starts the heartbeat. */
  async register(): Promise<void> {
    let node = await this.opts.cluster.get(this.nodes, undefined, this.nodeName);
    if (!node) {
      node = await this.opts.cluster.create(this.nodes, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: this.nodeName,
          labels: {
            'beta.kubernetes.io/arch': arch(),
            'beta.kubernetes.io/os': 'linux',
            'kubernetes.io/arch': arch(),
            'kubernetes.io/hostname': this.nodeName,
            'kubernetes.io/os': 'linux',
            ...this.opts.labels,
          },
          annotations: {
            'node.alpha.kubernetes.io/ttl': '0',
            'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
          },
        },
        spec: { podCIDR: this.opts.podCidr, podCIDRs: [this.opts.podCidr] },
      });
    }
    this.uid = node.metadata.uid ?? '';
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
  }

  private async heartbeat(): Promise<void> {
    await Promise.all([this.writeStatus('True'), this.opts.lease ? this.renewLease() : undefined]).catch(
      () => undefined, // the next beat tries again, as a kubelet does
    );
  }

  /** Stops the heartbeat and marks the node Unknown, as the node controller would. Safe to call twice. */
  async close(): Promise<void> {
    const wasRunning = this.timer !== undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (wasRunning) await this.writeStatus('Unknown').catch(() => undefined);
  }

  private async writeStatus(ready: ConditionState): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const node = await this.opts.cluster.get(this.nodes, undefined, this.nodeName);
      if (!node) return;
      const prev = ((node.status as NodeStatus | undefined)?.conditions ?? []) as NodeCondition[];
      const next: KubeObject = { ...node, status: this.statusBody(ready, prev) };
      try {
        await this.opts.cluster.update(this.nodes, undefined, this.nodeName, next, { subresource: 'status' });
        return;
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'Conflict') return;
      }
    }
  }

  /** Creates or renews the node's Lease (holder: the node, 40 s, renewed every 10 s). */
  private async renewLease(): Promise<void> {
    const ns = 'kube-node-lease';
    const existing = await this.opts.cluster.get(LEASES, ns, this.nodeName);
    const spec = {
      holderIdentity: this.nodeName,
      leaseDurationSeconds: LEASE_SECONDS,
      renewTime: microTime(),
    };
    if (existing) {
      await this.opts.cluster.update(LEASES, ns, this.nodeName, {
        ...existing,
        spec: { ...(existing.spec as object), ...spec },
      });
      return;
    }
    await this.opts.cluster.create(LEASES, ns, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.nodeName,
        namespace: ns,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.uid }],
      },
      spec,
    });
  }
}
