/**
 * Kind-aware operations over the store — what a Kubernetes API server does between decoding a request
 * and writing etcd: names and uids, defaults, validation, status and spec kept apart, generation,
 * graceful deletion of pods, finalizers and propagation policies, dry runs. The HTTP layer and the
 * in-process controllers and kubelet all write through here, so every writer sees the same rules.
 */
import { randomUUID } from 'node:crypto';
import { admitPod, applyDefaults } from './defaults';
import { applyPatchOfType, type PatchType } from './patch';
import { resource, type ResourceType } from './resources';
import { semanticCauses, updateCauses } from './semanticValidation';
import { StatusError } from './statusError';
import {
  type ListOptions,
  type ListResult,
  ObjectStore,
  type StoreWatch,
  type WatchListener,
  type WatchOptions,
} from './store';
import { clone, type KubeObject } from './types';
import { checkUnknownFields, type FieldValidation, pruneNulls, validateSchema } from './validation';

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  /** Write only the status (the `status` subresource). */
  subresource?: 'status';
}

export interface WriteResult {
  object: KubeObject;
  warnings: string[];
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  object: KubeObject;
  /** True when the object is gone; false when it waits on grace or finalizers. */
  removed: boolean;
}

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)];
  return s;
}

/** Kubernetes' timestamp format: RFC 3339, seconds precision. */
export function nowTimestamp(at = Date.now()): string {
  return new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Kinds whose status is written only through the status subresource. */
function hasStatusSubresource(t: ResourceType): boolean {
  return t.subresources.includes('status');
}

function specOf(o: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
}

/** What a new object's status is: servers own it, so a client's status on create is dropped. */
function initialStatus(t: ResourceType): Record<string, unknown> | undefined {
  if (t.kind === 'Pod') return { phase: 'Pending', qosClass: 'BestEffort' };
  if (t.kind === 'Namespace') return { phase: 'Active' };
  if (t.kind === 'ReplicaSet') return { replicas: 0 };
  if (t.kind === 'Service') return { loadBalancer: {} };
  // Custom resources (HTTPRoute) have no status until their controller writes one.
  if (t.group === 'gateway.networking.k8s.io') return undefined;
  return {};
}

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Kinds with a metadata.generation, as on kube-apiserver v1.35: workloads, pods, EndpointSlices (which have
 * no spec, but their endpoints count), ingresses and custom resources. Services, Nodes, Namespaces and the
 * data kinds have none.
 */
function hasGeneration(t: ResourceType): boolean {
  return (
    ['Deployment', 'ReplicaSet', 'Pod', 'EndpointSlice', 'Ingress'].includes(t.kind) ||
    t.group === 'gateway.networking.k8s.io'
  );
}

/** A pod's spec without spec.nodeName: binding a pod (the scheduler's write) does not move its generation. */
function podSpecOf(o: KubeObject): string {
  const { nodeName: _n, ...spec } = (o.spec ?? {}) as Record<string, unknown>;
  return specOf({ ...o, spec });
}

export class Registry {
  constructor(readonly store: ObjectStore) {
    for (const ns of SYSTEM_NAMESPACES) this.ensureNamespace(ns);
  }

  /** Creates a namespace unless it exists (the sandbox's own start-up and tests). */
  ensureNamespace(name: string): KubeObject {
    const existing = this.store.get(resource('namespaces'), undefined, name);
    if (existing) return existing;
    return this.create(resource('namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
      .object;
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(t, namespace, name);
    if (!o) throw StatusError.notFound(t.group, t.resource, name);
    return o;
  }

  tryGet(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(t, namespace, name);
  }

  list(t: ResourceType, opts: ListOptions = {}): ListResult {
    return this.store.list(t, opts);
  }

  watch(t: ResourceType | undefined, opts: WatchOptions, listener: WatchListener): StoreWatch {
    return this.store.watch(t, opts, listener);
  }

  private checkNamespace(t: ResourceType, namespace: string | undefined): void {
    if (!t.namespaced) return;
    if (!namespace)
      throw StatusError.badRequest('the server could not find the requested resource: a namespace is required');
    const ns = this.store.get(resource('namespaces'), undefined, namespace);
    if (!ns) throw StatusError.notFound('', 'namespaces', namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new StatusError(
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name: namespace,
          kind: 'namespaces',
        },
      );
    }
  }

  private checkTypeMeta(t: ResourceType, body: KubeObject): void {
    const apiVersion = t.group === '' ? t.version : `${t.group}/${t.version}`;
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
      throw StatusError.badRequest(
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (body.kind !== undefined && body.kind !== t.kind) {
      throw StatusError.badRequest(
        `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: the kind in the data (${body.kind}) does not match ${t.kind}`,
      );
    }
  }

  private validate(t: ResourceType, obj: KubeObject, prev?: KubeObject): void {
    validateSchema(t, obj);
    const causes = [...semanticCauses(obj), ...(prev ? updateCauses(prev, obj) : [])];
    if (causes.length > 0) throw StatusError.invalid(t.group, t.kind, obj.metadata.name ?? '', causes);
  }

  private normalise(t: ResourceType, body: unknown): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw StatusError.badRequest(
        `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: the body must be a JSON object`,
      );
    }
    const o = pruneNulls(clone(body)) as KubeObject;
    if (!o.metadata || typeof o.metadata !== 'object') o.metadata = {};
    return o;
  }

  create(t: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): WriteResult {
    if (t.virtual) throw new StatusError('MethodNotAllowed', `${t.resource} are answered, not stored`);
    const o = this.normalise(t, body);
    this.checkTypeMeta(t, o);
    const warnings = checkUnknownFields(t, o, opts.fieldValidation ?? 'Warn');
    o.apiVersion = t.group === '' ? t.version : `${t.group}/${t.version}`;
    o.kind = t.kind;
    if (t.namespaced) {
      if (o.metadata.namespace && namespace && o.metadata.namespace !== namespace) {
        throw StatusError.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      o.metadata.namespace = namespace ?? o.metadata.namespace;
    } else delete o.metadata.namespace;
    this.checkNamespace(t, o.metadata.namespace);
    // As Kubernetes: the prefix is cut to 58 characters so the name stays within 63.
    if (!o.metadata.name && o.metadata.generateName)
      o.metadata.name = `${o.metadata.generateName.slice(0, 58)}${randomSuffix()}`;
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = nowTimestamp();
    delete o.metadata.resourceVersion;
    delete o.metadata.deletionTimestamp;
    delete o.metadata.deletionGracePeriodSeconds;
    if (hasGeneration(t)) o.metadata.generation = 1;
    if (t.kind === 'Pod') admitPod(o);
    if (hasStatusSubresource(t)) {
      const status = initialStatus(t);
      if (status) o.status = status;
      else delete o.status;
    }
    applyDefaults(o);
    this.validate(t, o);
    if (opts.dryRun)
      return {
        object: { ...o, metadata: { ...o.metadata, resourceVersion: this.store.currentResourceVersion() } },
        warnings,
      };
    return { object: this.store.create(t, o), warnings };
  }

  /** Replaces an object (or only its status). Compare-and-set when the body carries a resourceVersion. */
  update(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): WriteResult {
    const prev = this.get(t, namespace, name);
    const o = this.normalise(t, body);
    this.checkTypeMeta(t, o);
    if (o.metadata.name !== undefined && o.metadata.name !== name) {
      throw StatusError.badRequest(
        `the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (t.namespaced && o.metadata.namespace && o.metadata.namespace !== namespace) {
      throw StatusError.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const warnings = checkUnknownFields(t, o, opts.fieldValidation ?? 'Warn');
    const next = this.prepareUpdate(t, prev, o, opts.subresource);
    this.validate(t, next, prev);
    if (opts.dryRun) return { object: next, warnings };
    return { object: this.commitUpdate(t, prev, next), warnings };
  }

  private prepareUpdate(
    t: ResourceType,
    prev: KubeObject,
    o: KubeObject,
    subresource: 'status' | undefined,
  ): KubeObject {
    let next: KubeObject;
    if (subresource === 'status') {
      next = {
        ...clone(prev),
        status: o.status,
        metadata: { ...clone(prev.metadata), resourceVersion: o.metadata.resourceVersion },
      };
    } else {
      next = {
        ...o,
        apiVersion: prev.apiVersion,
        kind: prev.kind,
        metadata: {
          ...o.metadata,
          name: prev.metadata.name,
          namespace: prev.metadata.namespace,
          uid: prev.metadata.uid,
          creationTimestamp: prev.metadata.creationTimestamp,
          generation: prev.metadata.generation,
          deletionTimestamp: prev.metadata.deletionTimestamp,
          deletionGracePeriodSeconds: prev.metadata.deletionGracePeriodSeconds,
        },
      };
      if (!next.metadata.deletionTimestamp) delete next.metadata.deletionTimestamp;
      if (next.metadata.deletionGracePeriodSeconds === undefined) delete next.metadata.deletionGracePeriodSeconds;
      if (next.metadata.generation === undefined) delete next.metadata.generation;
      if (hasStatusSubresource(t)) {
        if (prev.status === undefined) delete next.status;
        else next.status = clone(prev.status);
      }
      if (t.kind === 'Service') {
        const spec = (next.spec ?? {}) as Record<string, unknown>;
        const before = (prev.spec ?? {}) as Record<string, unknown>;
        if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = before.clusterIP;
        if (spec.clusterIPs === undefined) spec.clusterIPs = before.clusterIPs;
        next.spec = spec;
      }
      applyDefaults(next);
      const changed = t.kind === 'Pod' ? podSpecOf(next) !== podSpecOf(prev) : specOf(next) !== specOf(prev);
      if (changed && prev.metadata.generation !== undefined) {
        next.metadata.generation = (prev.metadata.generation ?? 0) + 1;
      }
    }
    return next;
  }

  /** Writes an update; an object being deleted whose last finalizer went away is removed instead. */
  private commitUpdate(t: ResourceType, prev: KubeObject, next: KubeObject): KubeObject {
    const finalizers = next.metadata.finalizers ?? [];
    const podWaiting = t.kind === 'Pod' && (next.metadata.deletionGracePeriodSeconds ?? 0) > 0;
    if (next.metadata.deletionTimestamp && finalizers.length === 0 && !podWaiting && t.kind !== 'Namespace') {
      const want = next.metadata.resourceVersion;
      if (want && want !== prev.metadata.resourceVersion) {
        throw StatusError.conflict(
          t.group,
          t.resource,
          prev.metadata.name ?? '',
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      return this.store.remove(t, prev.metadata.namespace, prev.metadata.name ?? '', prev.metadata.resourceVersion);
    }
    // As etcd-backed servers do, an update that changes nothing is not written (no new resourceVersion).
    const { resourceVersion: _rv, ...nextMeta } = next.metadata;
    const { resourceVersion: _prv, ...prevMeta } = prev.metadata;
    if (JSON.stringify({ ...next, metadata: nextMeta }) === JSON.stringify({ ...prev, metadata: prevMeta })) {
      const want = next.metadata.resourceVersion;
      if (want && want !== prev.metadata.resourceVersion) {
        throw StatusError.conflict(
          t.group,
          t.resource,
          prev.metadata.name ?? '',
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      return prev;
    }
    return this.store.update(t, next);
  }

  /**
   * Applies a patch to the current object and writes it. A patch without a resourceVersion is retried
   * on conflict against the newer object, as the API server does; one that names a version is not.
   */
  patch(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): WriteResult {
    for (let attempt = 0; ; attempt++) {
      const prev = this.get(t, namespace, name);
      const base = clone(prev);
      const patched = applyPatchOfType(t, type, base, patch);
      if (!patched || typeof patched !== 'object' || Array.isArray(patched))
        throw StatusError.badRequest('the patch did not produce an object');
      const pinned = (patch as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
      const body: KubeObject = {
        ...patched,
        metadata: { ...(patched.metadata ?? {}), resourceVersion: pinned ?? prev.metadata.resourceVersion },
      };
      try {
        return this.update(t, namespace, name, body, opts);
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'Conflict' || pinned || attempt >= 5) throw e;
      }
    }
  }

  delete(t: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
    const prev = this.get(t, namespace, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== prev.metadata.uid) {
      throw StatusError.conflict(
        t.group,
        t.resource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${prev.metadata.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== prev.metadata.resourceVersion) {
      throw StatusError.conflict(
        t.group,
        t.resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${prev.metadata.resourceVersion}`,
      );
    }
    if (opts.dryRun) return { object: prev, removed: false };
    const next = clone(prev);
    const now = nowTimestamp();
    if (t.kind === 'Namespace') {
      if (SYSTEM_NAMESPACES.includes(name))
        throw new StatusError('Forbidden', `namespace "${name}" is forbidden: this namespace may not be deleted`);
      // The namespace controller empties it and then removes it.
      if (!next.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = now;
        next.status = { ...((next.status as object) ?? {}), phase: 'Terminating' };
        return { object: this.store.update(t, next), removed: false };
      }
      return { object: prev, removed: false };
    }
    const spec = (prev.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const phase = (prev.status as { phase?: string } | undefined)?.phase;
    if (t.kind === 'Pod' && spec.nodeName && phase !== 'Succeeded' && phase !== 'Failed') {
      const grace = opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
      const current = prev.metadata.deletionGracePeriodSeconds;
      if (grace > 0 && (current === undefined || grace < current)) {
        // Graceful: the kubelet stops the process and then deletes the pod with a zero grace period.
        next.metadata.deletionTimestamp = nowTimestamp(Date.now() + grace * 1000);
        next.metadata.deletionGracePeriodSeconds = grace;
        return { object: this.store.update(t, next), removed: false };
      }
      if (grace > 0) return { object: prev, removed: false };
    }
    const finalizers = new Set(next.metadata.finalizers ?? []);
    if (!prev.metadata.deletionTimestamp) {
      if (opts.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
      if (opts.propagationPolicy === 'Orphan') finalizers.add('orphan');
    }
    if (finalizers.size > 0) {
      next.metadata.finalizers = [...finalizers];
      next.metadata.deletionTimestamp = next.metadata.deletionTimestamp ?? now;
      next.metadata.deletionGracePeriodSeconds = 0;
      if (JSON.stringify(next.metadata) === JSON.stringify(prev.metadata)) return { object: prev, removed: false };
      return { object: this.store.update(t, next), removed: false };
    }
    return { object: this.store.remove(t, namespace, name), removed: true };
  }

  /** Deletes every object a list would return; answers the list of what it deleted. */
  deleteCollection(t: ResourceType, list: ListOptions, opts: DeleteOptions = {}): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.store.list(t, { ...list, limit: undefined }).items) {
      try {
        out.push(this.delete(t, o.metadata.namespace, o.metadata.name ?? '', opts).object);
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'NotFound') throw e;
      }
    }
    return out;
  }
}
