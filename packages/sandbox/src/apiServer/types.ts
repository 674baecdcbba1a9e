import type { ObjectMeta as K8sObjectMeta } from 'kubernetes-types/meta/v1';

/** ObjectMeta as the server writes it: the fields kubernetes-types marks read-only are ours to set. */
export type ObjectMeta = { -readonly [K in keyof K8sObjectMeta]: K8sObjectMeta[K] };

/** Any Kubernetes object as JSON: typed metadata, everything else by kind. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/** Deep copy of a stored (frozen) object, for callers that want to change it. */
export function clone<T>(obj: T): T {
  return structuredClone(obj);
}

/** "ns/name" or "name": the store's key within one resource type. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
