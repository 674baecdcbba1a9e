/**
 * The kubelet's core/v1 Events (Pulled, Created, Started, Killing, Unhealthy, FailedMount…), written
 * through the cluster API with the kubelet's own credentials — `kubectl describe pod` shows them.
 * Identical events on one object fold into one with a count, as client-go's recorder does. Best effort
 * and in the background: an event that cannot be written is not worth failing a pod for.
 */
import { nowTimestamp } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import type { KubeObject } from '../apiServer/types';
import type { ClusterApi } from '../cluster/clusterApi';

export type KubeletEventType = 'Normal' | 'Warning';

export class KubeletEvents {
  private seq = 0;
  private readonly recent = new Map<string, string>(); // fold key → event name
  /** Writes in order, one at a time: a fold must find the event its first occurrence created. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: ClusterApi,
    private readonly component: string,
    private readonly host: string,
  ) {}

  /** Queues an event about `involved`; never throws. */
  record(involved: KubeObject, type: KubeletEventType, reason: string, message: string): void {
    this.chain = this.chain.then(() => this.write(involved, type, reason, message)).catch(() => undefined);
  }

  /** Resolves when the queued events have been written (or given up on). */
  flushed(): Promise<void> {
    return this.chain;
  }

  private async write(involved: KubeObject, type: KubeletEventType, reason: string, message: string): Promise<void> {
    const ns = involved.metadata.namespace ?? 'default';
    const events = resource('events');
    const key = `${involved.metadata.uid}|${type}|${reason}|${message}`;
    const now = nowTimestamp();
    const existingName = this.recent.get(key);
    const existing = existingName ? await this.cluster.get(events, ns, existingName) : undefined;
    if (existing) {
      await this.cluster.update(events, ns, existingName ?? '', {
        ...existing,
        count: Number(existing.count ?? 1) + 1,
        lastTimestamp: now,
      });
      return;
    }
    const name = `${involved.metadata.name}.${Date.now().toString(16)}${(++this.seq).toString(16).padStart(4, '0')}`;
    await this.cluster.create(events, ns, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: involved.apiVersion ?? 'v1',
        kind: involved.kind ?? 'Pod',
        name: involved.metadata.name,
        namespace: involved.metadata.namespace,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.component, host: this.host },
      reportingComponent: this.component,
      reportingInstance: this.host,
    });
    this.recent.set(key, name);
    if (this.recent.size > 5000) this.recent.delete(this.recent.keys().next().value as string);
  }
}
