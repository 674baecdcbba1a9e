/**
 * The sandbox's one Node object, as a kubelet registers and maintains it: labels, addresses, capacity,
 * nodeInfo, pressure conditions and a Ready condition whose heartbeat is refreshed every ~10 s.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1';
import { nowTimestamp, type Registry } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import { clone, type KubeObject } from '../apiServer/types';
import { POD_CIDR } from './ipAllocator';

/** The Kubernetes version the sandbox's kubelet reports. */
export const KUBELET_VERSION = 'v1.32.0';

/** How often the node's heartbeat is written. */
export const HEARTBEAT_MS = 10_000;

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

/** Registers the node and keeps its heartbeat fresh. */
export class NodeAgent {
  private timer: NodeJS.Timeout | undefined;
  private readonly nodes = resource('nodes');

  constructor(
    private readonly registry: Registry,
    readonly nodeName: string,
    private readonly stateDir: string,
  ) {}

  private statusBody(ready: ConditionState, prev: readonly NodeCondition[]): NodeStatus {
    const machineId = readOr('/etc/machine-id', '00000000000000000000000000000000');
    const resources = {
      cpu: String(cpus().length),
      'ephemeral-storage': storageKi(this.stateDir),
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: `${Math.floor(totalmem() / 1024)}Ki`,
      pods: '110',
    };
    return {
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: this.nodeName },
      ],
      allocatable: resources,
      capacity: resources,
      conditions: conditions(ready, nowTimestamp(), prev),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
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
  register(): void {
    if (!this.registry.tryGet(this.nodes, undefined, this.nodeName)) {
      this.registry.create(this.nodes, undefined, {
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
            'node-role.kubernetes.io/control-plane': '',
          },
          annotations: {
            'node.alpha.kubernetes.io/ttl': '0',
            'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
            'ramp.dev/host': hostname(),
          },
        },
        spec: { podCIDR: POD_CIDR, podCIDRs: [POD_CIDR] },
      });
    }
    this.writeStatus('True');
    this.timer = setInterval(() => this.writeStatus('True'), HEARTBEAT_MS);
  }

  /** Stops the heartbeat and marks the node Unknown, as the node controller would. Safe to call twice. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.timer) this.writeStatus('Unknown');
    this.timer = undefined;
  }

  private writeStatus(ready: ConditionState): void {
    for (let attempt = 0; attempt < 5; attempt++) {
      const node = this.registry.tryGet(this.nodes, undefined, this.nodeName);
      if (!node) return;
      const prev = ((node.status as NodeStatus | undefined)?.conditions ?? []) as NodeCondition[];
      const next: KubeObject = { ...clone(node), status: this.statusBody(ready, prev) };
      try {
        this.registry.update(this.nodes, undefined, this.nodeName, next, { subresource: 'status' });
        return;
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'Conflict') return;
      }
    }
  }
}
