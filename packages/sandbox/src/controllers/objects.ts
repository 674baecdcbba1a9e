/**
 * Typed views of the stored objects the controllers read and write, and the ownership helpers
 * (controller references) that Kubernetes' controllers share.
 */
import type { DeploymentSpec, DeploymentStatus, ReplicaSetSpec, ReplicaSetStatus } from 'kubernetes-types/apps/v1';
import type { PodSpec, PodStatus, ServiceSpec } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import type { Registry } from '../apiServer/registry';
import { apiVersionOf, resource, type ResourceType } from '../apiServer/resources';
import type { KubeObject } from '../apiServer/types';

/** A Deployment as stored: the registry has filled in its defaults. */
export interface DeploymentObject extends KubeObject {
  spec: DeploymentSpec;
  status?: DeploymentStatus;
}

/** A ReplicaSet as stored. */
export interface ReplicaSetObject extends KubeObject {
  spec: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

/** A Pod as stored. */
export interface PodObject extends KubeObject {
  spec?: PodSpec;
  status?: PodStatus;
}

/** A Service as stored. */
export interface ServiceObject extends KubeObject {
  spec?: ServiceSpec;
}

/** Views a stored object as a kind the caller has checked (the registry validated its schema). */
export function asKind<T extends KubeObject>(o: KubeObject): T {
  return o as T;
}

/** "ns/name" of an object. */
export function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/** The owner reference marked controller, if any. */
export function controllerOf(o: KubeObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

/** Whether `owner` is the controller of `o` (compared by uid, as Kubernetes does). */
export function isControlledBy(o: KubeObject, owner: KubeObject): boolean {
  return controllerOf(o)?.uid === owner.metadata.uid;
}

/** The controller reference a controller puts on what it creates or adopts. */
export function controllerRef(owner: KubeObject, t: Pick<ResourceType, 'group' | 'version' | 'kind'>): OwnerReference {
  return {
    apiVersion: apiVersionOf(t),
    kind: t.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether the object is being deleted. */
export function isDeleting(o: KubeObject): boolean {
  return Boolean(o.metadata.deletionTimestamp);
}

/** Whether the namespace is being deleted: nothing new may be created in it. */
export function isNamespaceTerminating(registry: Registry, namespace: string | undefined): boolean {
  if (!namespace) return false;
  return Boolean(registry.tryGet(resource('namespaces'), undefined, namespace)?.metadata.deletionTimestamp);
}
