/**
 * The sandbox's default-scheduler: one node, so every pending pod goes to it. Binds by setting
 * spec.nodeName (allowed once), then sets the PodScheduled condition and records a Scheduled event,
 * as kube-scheduler does.
 */
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import { nowTimestamp, type Registry } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import { clone, type KubeObject } from '../apiServer/types';
import type { StoreWatch } from '../apiServer/store';
import { EventRecorder } from '../controllers/eventRecorder';

/** Scheduler lifecycle. */
export type SchedulerState = 'idle' | 'running' | 'closed';

function wantsBinding(pod: KubeObject, schedulerName: string): boolean {
  const spec = (pod.spec ?? {}) as Pod['spec'];
  return (
    !spec?.nodeName && !pod.metadata.deletionTimestamp && (spec?.schedulerName ?? 'default-scheduler') === schedulerName
  );
}

/** Binds every unscheduled pod to one node. */
export class Scheduler {
  state: SchedulerState = 'idle';
  private watch: StoreWatch | undefined;
  private readonly queue = new Map<string, { namespace: string; name: string }>();
  private scheduled = false;
  private readonly events: EventRecorder;
  private readonly pods = resource('pods');

  constructor(
    private readonly registry: Registry,
    readonly nodeName: string,
    readonly schedulerName = 'default-scheduler',
  ) {
    this.events = new EventRecorder(registry, 'default-scheduler');
  }

  /** Starts watching pods; binds the ones already waiting. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.watch = this.registry.watch(this.pods, {}, (ev) => {
      if (ev.type === 'DELETED' || !wantsBinding(ev.object, this.schedulerName)) return;
      this.queue.set(ev.object.metadata.uid ?? '', {
        namespace: ev.object.metadata.namespace ?? 'default',
        name: ev.object.metadata.name ?? '',
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
    });
  }

  /** Stops watching. Safe to call twice. */
  close(): void {
    this.watch?.stop();
    this.watch = undefined;
    this.queue.clear();
    this.state = 'closed';
  }

  private drain(): void {
    this.scheduled = false;
    if (this.state !== 'running') return;
    const items = [...this.queue.entries()];
    this.queue.clear();
    for (const [uid, { namespace, name }] of items) this.bind(uid, namespace, name);
  }

  private bind(uid: string, namespace: string, name: string): void {
    for (let attempt = 0; attempt < 5; attempt++) {
      const pod = this.registry.tryGet(this.pods, namespace, name);
      if (!pod || pod.metadata.uid !== uid || !wantsBinding(pod, this.schedulerName)) return;
      const next = clone(pod);
      (next.spec as Record<string, unknown>).nodeName = this.nodeName;
      try {
        const bound = this.registry.update(this.pods, namespace, name, next).object;
        this.setScheduled(bound);
        this.events.record(
          bound,
          'Normal',
          'Scheduled',
          `Successfully assigned ${namespace}/${name} to ${this.nodeName}`,
        );
        return;
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'Conflict') return;
      }
    }
  }

  private setScheduled(pod: KubeObject): void {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current =
        attempt === 0 ? pod : this.registry.tryGet(this.pods, pod.metadata.namespace, pod.metadata.name ?? '');
      if (!current || current.metadata.uid !== pod.metadata.uid) return;
      const next = clone(current);
      const status = (next.status ?? {}) as { conditions?: PodCondition[] };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      status.conditions = [...conditions, { type: 'PodScheduled', status: 'True', lastTransitionTime: nowTimestamp() }];
      next.status = status;
      try {
        this.registry.update(this.pods, pod.metadata.namespace, pod.metadata.name ?? '', next, {
          subresource: 'status',
        });
        return;
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'Conflict') return;
      }
    }
  }
}
