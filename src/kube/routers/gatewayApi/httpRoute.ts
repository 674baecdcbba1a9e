/**
 * The parts of gateway.networking.k8s.io/v1 HTTPRoute the gatewayApi router reads and writes
 * (kubernetes-types has no Gateway API kinds). Fields the router does not know are carried through
 * untouched by the index signatures, so a write never drops them.
 */
import type { KubeClient } from '../../client';

export const HTTPROUTE_API = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' } as const;

/** spec.rules[].matches[].headers[] and .queryParams[] (type default Exact). */
export interface HTTPValueMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

/** spec.rules[].matches[] (path default PathPrefix "/"). */
export interface HTTPRouteMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string };
  headers?: HTTPValueMatch[];
  queryParams?: HTTPValueMatch[];
  method?: string;
  [field: string]: unknown;
}

/** spec.rules[].filters[] and .backendRefs[].filters[]: the type names the one field that is set. */
export interface HTTPRouteFilter {
  type: string;
  [field: string]: unknown;
}

/** spec.rules[].backendRefs[] (group "", kind Service, weight 1 by default). */
export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: HTTPRouteFilter[];
  [field: string]: unknown;
}

/** spec.rules[]. */
export interface HTTPRouteRule {
  matches?: HTTPRouteMatch[];
  backendRefs?: HTTPBackendRef[];
  filters?: unknown[];
  timeouts?: unknown;
  [field: string]: unknown;
}

/** An HTTPRoute as read from the API. */
export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; [field: string]: unknown };
  spec?: { rules?: HTTPRouteRule[]; [field: string]: unknown };
  [field: string]: unknown;
}

/** The route, or undefined when there is none. */
export async function readHttpRoute(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<HTTPRoute | undefined> {
  const body: unknown = await client.readOrUndefined(HTTPROUTE_API.plural, (o) =>
    client.custom.getNamespacedCustomObject({ ...HTTPROUTE_API, namespace, name }, o),
  );
  return body as HTTPRoute | undefined;
}

/** Replaces the route at the resourceVersion it carries (compare-and-set: KubeConflictError when it changed since). */
export async function replaceHttpRoute(client: KubeClient, route: HTTPRoute): Promise<HTTPRoute> {
  const namespace = route.metadata.namespace ?? '';
  const name = route.metadata.name ?? '';
  const body: unknown = await client.call('update', HTTPROUTE_API.plural, (o) =>
    client.custom.replaceNamespacedCustomObject({ ...HTTPROUTE_API, namespace, name, body: route }, o),
  );
  return body as HTTPRoute;
}
