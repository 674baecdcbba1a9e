/**
 * The namespace controller: a namespace being deleted (phase Terminating) has everything in it
 * deleted, and is removed once nothing is left — the registry leaves that last step to it, as a
 * cluster's API server leaves it to kube-controller-manager.
 */
import { RESOURCES, resource, type ResourceType } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import type { WatchEvent } from '../apiServer/types';
import { Controller } from './controller';

const NAMESPACES = resource('namespaces');

/** Namespaced kinds, workloads before what they own so that nothing is recreated while emptying. */
const CONTENT_TYPES: readonly ResourceType[] = [...RESOURCES].reverse().filter((t) => t.namespaced && !t.virtual);

/** How often a terminating namespace is checked again while objects wait on grace periods or finalizers. */
const RECHECK_MS = 1000;

export class NamespaceController extends Controller {
  readonly name = 'namespace-controller';
  private readonly terminating = new Set<string>();

  protected setup(): void {
    this.watch(NAMESPACES, (e) => {
      const name = e.object.metadata.name ?? '';
      if (e.type === 'DELETED') this.terminating.delete(name);
      else if (e.object.metadata.deletionTimestamp) {
        this.terminating.add(name);
        this.queue.add(name);
      }
    });
    // The last object of a terminating namespace going away is when the namespace itself may go.
    this.watch(
      undefined,
      (e: WatchEvent) => {
        const ns = e.object.metadata.namespace;
        if (e.type === 'DELETED' && ns && this.terminating.has(ns)) this.queue.add(ns);
      },
      { resourceVersion: this.registry.store.currentResourceVersion() },
    );
  }

  protected resyncKeys(): Iterable<string> {
    return this.registry
      .list(NAMESPACES)
      .items.filter((n) => n.metadata.deletionTimestamp)
      .map((n) => n.metadata.name ?? '');
  }

  protected sync(name: string): void {
    const ns = this.registry.tryGet(NAMESPACES, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const t of CONTENT_TYPES) {
      for (const o of this.registry.list(t, { namespace: name }).items) {
        if (o.metadata.deletionTimestamp) {
          remaining++;
          continue;
        }
        try {
          if (!this.registry.delete(t, name, o.metadata.name ?? '', { propagationPolicy: 'Background' }).removed)
            remaining++;
        } catch (e) {
          if (!(e instanceof StatusError) || e.reason !== 'NotFound') throw e;
        }
      }
    }
    if (remaining > 0) {
      this.queue.addAfter(name, RECHECK_MS);
      return;
    }
    try {
      this.registry.store.remove(NAMESPACES, undefined, name);
    } catch (e) {
      if (!(e instanceof StatusError) || e.reason !== 'NotFound') throw e;
    }
  }
}
