/**
 * Writes core/v1 Events about objects, as cluster components do (`kubectl describe` and
 * `kubectl get events` read them). Identical events on the same object are folded into one with a count.
 */
import { resource } from '../apiServer/resources';
import { nowTimestamp, type Registry } from '../apiServer/registry';
import type { KubeObject } from '../apiServer/types';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private seq = 0;
  private readonly recent = new Map<string, string>(); // fold key → event name

  constructor(
    private readonly registry: Registry,
    private readonly component: string,
    private readonly host?: string,
  ) {}

  /** Records an event; never throws (an event that cannot be written is not worth failing for). */
  record(involved: KubeObject, type: EventType, reason: string, message: string): void {
    const ns = involved.metadata.namespace ?? 'default';
    const events = resource('events');
    const key = `${involved.metadata.uid}|${type}|${reason}|${message}`;
    const now = nowTimestamp();
    try {
      const existingName = this.recent.get(key);
      const existing = existingName ? this.registry.tryGet(events, ns, existingName) : undefined;
      if (existing) {
        this.registry.update(events, ns, existingName ?? '', {
          ...existing,
          count: Number(existing.count ?? 1) + 1,
          lastTimestamp: now,
        });
        return;
      }
      const name = `${involved.metadata.name}.${Date.now().toString(16)}${(++this.seq).toString(16).padStart(4, '0')}`;
      this.registry.create(events, ns, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
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
        source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
        reportingComponent: this.component,
        reportingInstance: this.host ?? '',
      });
      this.recent.set(key, name);
      if (this.recent.size > 5000) this.recent.delete(this.recent.keys().next().value as string);
    } catch {
      // Events are best effort, as in a cluster (the namespace may be terminating).
    }
  }
}
