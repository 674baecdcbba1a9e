/**
 * The garbage collector, as kube-controller-manager's: a graph of owners and dependents built from
 * ownerReferences across every kind, and the three deletion policies —
 *  - Background: an object whose owners are all gone is deleted;
 *  - Foreground (owner carries the `foregroundDeletion` finalizer): its dependents are deleted, and the
 *    finalizer comes off once no dependent with blockOwnerDeletion is left;
 *  - Orphan (owner carries the `orphan` finalizer): dependents lose their reference to it, then the
 *    finalizer comes off.
 * Owners are always looked up live before a dependent is deleted, so a late graph never deletes wrongly.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { resourceForKind, type ResourceType } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import { clone, type KubeObject, type WatchEvent } from '../apiServer/types';
import { Controller } from './controller';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

interface GraphNode {
  uid: string;
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  owners: readonly OwnerReference[];
}

function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.reason === 'NotFound';
}

function hasFinalizer(o: KubeObject, f: string): boolean {
  return (o.metadata.finalizers ?? []).includes(f);
}

function ownersKey(refs: readonly OwnerReference[]): string {
  return refs.map((r) => `${r.uid}:${r.blockOwnerDeletion ? 1 : 0}`).join(',');
}

export class GarbageCollector extends Controller {
  readonly name = 'garbage-collector';
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  protected setup(): void {
    // Subscribing at the current version and then walking what exists leaves no gap: nothing runs between.
    this.watch(undefined, (e) => this.onEvent(e), { resourceVersion: this.registry.store.currentResourceVersion() });
    for (const { object } of this.registry.store.allObjects()) this.onEvent({ type: 'ADDED', object });
  }

  protected resyncKeys(): Iterable<string> {
    const keys: string[] = [];
    for (const n of this.nodes.values()) if (n.owners.length > 0 || this.dependents.has(n.uid)) keys.push(n.uid);
    return keys;
  }

  /** How many objects the graph holds (for status and tests). */
  get graphSize(): number {
    return this.nodes.size;
  }

  private onEvent(e: WatchEvent): void {
    const o = e.object;
    const uid = o.metadata.uid;
    const type = resourceForKind(o.apiVersion, o.kind);
    if (!uid || !type) return;
    const prev = this.nodes.get(uid);
    if (e.type === 'DELETED') {
      this.forget(uid);
      for (const dep of this.dependents.get(uid) ?? []) this.queue.add(dep);
      this.wakeWaitingOwners(prev?.owners ?? []);
      return;
    }
    const owners = o.metadata.ownerReferences ?? [];
    const ownersChanged = !prev || ownersKey(prev.owners) !== ownersKey(owners);
    if (ownersChanged) {
      this.unlink(prev);
      this.nodes.set(uid, { uid, type, namespace: o.metadata.namespace, name: o.metadata.name ?? '', owners });
      for (const r of owners) {
        let set = this.dependents.get(r.uid);
        if (!set) this.dependents.set(r.uid, (set = new Set()));
        set.add(uid);
      }
      if (owners.length > 0) this.queue.add(uid);
    }
    if (o.metadata.deletionTimestamp && (hasFinalizer(o, FOREGROUND_FINALIZER) || hasFinalizer(o, ORPHAN_FINALIZER)))
      this.queue.add(uid);
    // A dependent that changed (or let go of an owner) may be what a foreground deletion waits for.
    this.wakeWaitingOwners([...(prev?.owners ?? []), ...owners]);
  }

  private wakeWaitingOwners(refs: readonly OwnerReference[]): void {
    for (const r of refs) {
      const owner = this.nodes.get(r.uid);
      if (owner && this.live(owner)?.metadata.deletionTimestamp) this.queue.add(r.uid);
    }
  }

  private unlink(node: GraphNode | undefined): void {
    if (!node) return;
    for (const r of node.owners) {
      const set = this.dependents.get(r.uid);
      set?.delete(node.uid);
      if (set && set.size === 0) this.dependents.delete(r.uid);
    }
  }

  private forget(uid: string): void {
    this.unlink(this.nodes.get(uid));
    this.nodes.delete(uid);
  }

  private live(node: GraphNode): KubeObject | undefined {
    const o = this.registry.tryGet(node.type, node.namespace, node.name);
    return o && o.metadata.uid === node.uid ? o : undefined;
  }

  protected sync(uid: string): void {
    const node = this.nodes.get(uid);
    if (!node) return;
    const o = this.live(node);
    if (!o) return;
    if (o.metadata.deletionTimestamp) {
      if (hasFinalizer(o, ORPHAN_FINALIZER)) return this.orphanDependents(node, o);
      if (hasFinalizer(o, FOREGROUND_FINALIZER)) return this.deleteDependentsFirst(node, o);
      return;
    }
    if ((o.metadata.ownerReferences ?? []).length > 0) this.attemptToDelete(node, o);
  }

  /** Deletes `o` when none of its owners remains; drops references to owners that are gone. */
  private attemptToDelete(node: GraphNode, o: KubeObject): void {
    const solid: OwnerReference[] = [];
    const goneOrWaiting = new Set<string>();
    let waiting = false;
    for (const ref of o.metadata.ownerReferences ?? []) {
      const t = resourceForKind(ref.apiVersion, ref.kind);
      // An owner of a kind this server does not know cannot be checked: keep the dependent.
      if (!t || (t.namespaced && !o.metadata.namespace)) {
        solid.push(ref);
        continue;
      }
      const owner = this.registry.tryGet(t, t.namespaced ? o.metadata.namespace : undefined, ref.name);
      if (!owner || owner.metadata.uid !== ref.uid) goneOrWaiting.add(ref.uid);
      else if (owner.metadata.deletionTimestamp && hasFinalizer(owner, FOREGROUND_FINALIZER)) {
        goneOrWaiting.add(ref.uid);
        waiting = true;
      } else solid.push(ref);
    }
    if (goneOrWaiting.size === 0) return;
    if (solid.length > 0) {
      this.writeOwners(node, (refs) => refs.filter((r) => !goneOrWaiting.has(r.uid)));
      return;
    }
    // Its own dependents must go before it when an owner waits for it (foreground all the way down).
    const foreground =
      (waiting && (this.dependents.get(node.uid)?.size ?? 0) > 0) || hasFinalizer(o, FOREGROUND_FINALIZER);
    const policy = hasFinalizer(o, ORPHAN_FINALIZER) ? 'Orphan' : foreground ? 'Foreground' : 'Background';
    try {
      this.registry.delete(node.type, node.namespace, node.name, {
        propagationPolicy: policy,
        preconditions: { uid: node.uid },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Foreground: deletes every dependent; lets the owner go when no blocking dependent is left. */
  private deleteDependentsFirst(node: GraphNode, owner: KubeObject): void {
    const deps = [...(this.dependents.get(node.uid) ?? [])]
      .map((u) => this.nodes.get(u))
      .filter((n): n is GraphNode => n !== undefined);
    const blocks = (d: GraphNode): boolean => d.owners.some((r) => r.uid === node.uid && r.blockOwnerDeletion === true);
    // The ones the owner waits for go first.
    for (const dep of [...deps.filter(blocks), ...deps.filter((d) => !blocks(d))]) {
      const o = this.live(dep);
      if (o && !o.metadata.deletionTimestamp) this.attemptToDelete(dep, o);
    }
    const stillBlocking = [...(this.dependents.get(node.uid) ?? [])].some((u) => {
      const d = this.nodes.get(u);
      return d !== undefined && blocks(d) && this.live(d) !== undefined;
    });
    if (!stillBlocking) this.removeFinalizer(node, owner, FOREGROUND_FINALIZER);
  }

  /** Orphan: every dependent loses its reference to the owner, then the owner may go. */
  private orphanDependents(node: GraphNode, owner: KubeObject): void {
    for (const u of [...(this.dependents.get(node.uid) ?? [])]) {
      const dep = this.nodes.get(u);
      if (dep) this.writeOwners(dep, (refs) => refs.filter((r) => r.uid !== node.uid));
    }
    this.removeFinalizer(node, owner, ORPHAN_FINALIZER);
  }

  /** Rewrites a node's owner references from its live object (compare-and-set; a conflict retries). */
  private writeOwners(node: GraphNode, change: (refs: OwnerReference[]) => OwnerReference[]): void {
    const o = this.live(node);
    if (!o) return;
    const next = clone(o);
    const refs = change([...(o.metadata.ownerReferences ?? [])]);
    if (refs.length === (o.metadata.ownerReferences ?? []).length) return;
    if (refs.length > 0) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    try {
      this.registry.update(node.type, node.namespace, node.name, next);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private removeFinalizer(node: GraphNode, o: KubeObject, finalizer: string): void {
    const next = clone(o);
    next.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    try {
      this.registry.update(node.type, node.namespace, node.name, next);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
