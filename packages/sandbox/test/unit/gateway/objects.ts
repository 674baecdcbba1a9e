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
