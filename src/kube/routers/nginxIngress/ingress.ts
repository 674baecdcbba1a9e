/**
 * The parts of networking.k8s.io/v1 Ingress the nginxIngress router reads and writes, through the
 * custom-objects API (one client for every group; the RBAC generator reads the group from INGRESS_API).
 * Fields the router does not know are carried through untouched by the index signatures, so a replace
 * never drops them.
 */
import type { KubeClient } from '../../client';

export const INGRESS_API = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' } as const;

/** spec.rules[].http.paths[].backend and spec.defaultBackend. */
export interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
  resource?: unknown;
}

/** spec.rules[].http.paths[]. */
export interface IngressPath {
  path?: string;
  pathType?: string;
  backend: IngressBackend;
  [field: string]: unknown;
}

/** spec.rules[]. */
export interface IngressRule {
  host?: string;
  http?: { paths: IngressPath[] };
  [field: string]: unknown;
}

/** An Ingress as read from the API. */
export interface Ingress {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules?: IngressRule[];
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** The Ingress, or undefined when there is none. */
export async function readIngress(client: KubeClient, namespace: string, name: string): Promise<Ingress | undefined> {
  const body: unknown = await client.readOrUndefined(INGRESS_API.plural, (o) =>
    client.custom.getNamespacedCustomObject({ ...INGRESS_API, namespace, name }, o),
  );
  return body as Ingress | undefined;
}

/** Creates the Ingress (KubeConflictError when one of that name exists). */
export async function createIngress(client: KubeClient, ingress: Ingress): Promise<Ingress> {
  const namespace = ingress.metadata.namespace ?? '';
  const body: unknown = await client.call('create', INGRESS_API.plural, (o) =>
    client.custom.createNamespacedCustomObject({ ...INGRESS_API, namespace, body: ingress }, o),
  );
  return body as Ingress;
}

/** Replaces the Ingress at the resourceVersion it carries (compare-and-set: KubeConflictError when it changed since). */
export async function replaceIngress(client: KubeClient, ingress: Ingress): Promise<Ingress> {
  const namespace = ingress.metadata.namespace ?? '';
  const name = ingress.metadata.name ?? '';
  const body: unknown = await client.call('update', INGRESS_API.plural, (o) =>
    client.custom.replaceNamespacedCustomObject({ ...INGRESS_API, namespace, name, body: ingress }, o),
  );
  return body as Ingress;
}
