/**
 * Builders for the objects the gateway routes by, shaped as the API server stores them (and valid for
 * it, so the integration tests create the same objects through a Registry).
 */
import type { KubeObject } from '../../../src/apiServer/types';
import type { HTTPRouteRule } from '../../../src/gateway/httpRouteTypes';

export interface EndpointSpec {
  ip: string;
  pod: string;
  ready?: boolean;
  terminating?: boolean;
}

export function service(
  namespace: string,
  name: string,
  ports: { name?: string; port: number }[] = [{ name: 'http', port: 80 }],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { selector: { app: name }, ports: ports.map((p) => ({ ...p, protocol: 'TCP', targetPort: p.port })) },
  };
}

/** An EndpointSlice of `svc` whose endpoints all listen on `port` (the slice's port named `portName`). */
export function endpointSlice(
  namespace: string,
  svc: string,
  name: string,
  port: number,
  endpoints: EndpointSpec[],
  portName = 'http',
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: e.terminating ?? false },
      targetRef: { kind: 'Pod', namespace, name: e.pod },
    })),
    ports: [{ name: portName, port, protocol: 'TCP' }],
  };
}

export function pod(namespace: string, name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels },
    spec: { containers: [{ name: 'app', image: 'ramp.dev/demo-app:v1' }] },
  };
}

export function httpRoute(
  namespace: string,
  name: string,
  rules: HTTPRouteRule[],
  hostnames?: string[],
  creationTimestamp?: string,
): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { namespace, name, ...(creationTimestamp ? { creationTimestamp } : {}) },
    spec: { parentRefs: [{ name: 'sandbox' }], ...(hostnames ? { hostnames } : {}), rules },
  };
}

/** A backendRef to a Service port. */
export function ref(name: string, weight?: number, port = 80): { name: string; port: number; weight?: number } {
  return weight === undefined ? { name, port } : { name, port, weight };
}

/** One path of an Ingress rule: its backend a Service port by number (or by name when `port` is a string). */
export interface IngressPathSpec {
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  service: string;
  port?: number | string;
}

function ingressBackend(service: string, port: number | string = 80): Record<string, unknown> {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

/** An Ingress with rules by host ('' for none), optional defaultBackend and annotations. */
export function ingress(
  namespace: string,
  name: string,
  rules: { host?: string; paths: IngressPathSpec[] }[],
  opts: { annotations?: Record<string, string>; defaultBackend?: string; creationTimestamp?: string } = {},
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      namespace,
      name,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.creationTimestamp ? { creationTimestamp: opts.creationTimestamp } : {}),
    },
    spec: {
      ingressClassName: 'nginx',
      ...(opts.defaultBackend ? { defaultBackend: ingressBackend(opts.defaultBackend) } : {}),
      rules: rules.map((r) => ({
        ...(r.host ? { host: r.host } : {}),
        http: {
          paths: r.paths.map((p) => ({
            path: p.path ?? '/',
            pathType: p.pathType ?? 'Prefix',
            backend: ingressBackend(p.service, p.port),
          })),
        },
      })),
    },
  };
}

/** The canary annotations (`nginx.ingress.kubernetes.io/` added to each name), with canary: "true". */
export function canaryAnnotations(a: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ canary: 'true', ...a }).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]),
  );
}
