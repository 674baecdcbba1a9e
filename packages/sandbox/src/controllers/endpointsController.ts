/**
 * The Endpoints controller: core/v1 Endpoints named after each Service with a selector, listing the
 * selected pods' IPs as ready or not-ready addresses, grouped into subsets by the ports they serve.
 * Terminating pods are left out (EndpointSlices carry them). Writes only when the content changes.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset } from 'kubernetes-types/core/v1';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import { clone, type KubeObject } from '../apiServer/types';
import { Controller, splitKey } from './controller';
import { canonicalJson } from './deploymentUtil';
import { asKind, isDeleting, isNamespaceTerminating, keyOf, type ServiceObject } from './objects';
import {
  PODS,
  PodServiceIndex,
  podEndpoints,
  portsKey,
  serviceSelector,
  SERVICES,
  type PodEndpoint,
} from './serviceEndpoints';

const ENDPOINTS = resource('endpoints');
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

function address(ep: PodEndpoint): EndpointAddress {
  const a: EndpointAddress = {
    ip: ep.ip,
    targetRef: {
      kind: 'Pod',
      namespace: ep.pod.metadata.namespace,
      name: ep.pod.metadata.name,
      uid: ep.pod.metadata.uid,
    },
  };
  if (ep.pod.spec?.nodeName) a.nodeName = ep.pod.spec.nodeName;
  return a;
}

/** The subsets of a Service's Endpoints: addresses grouped by the set of ports they serve. */
export function endpointSubsets(svc: ServiceObject, eps: readonly PodEndpoint[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const svcPorts = svc.spec?.ports ?? [];
  const headless = svc.spec?.clusterIP === 'None';
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const ep of eps) {
    if (ep.terminating && !publishNotReady) continue;
    // A pod serving none of the ports is no endpoint, unless a headless Service has no ports at all.
    if (ep.ports.length === 0 && !(svcPorts.length === 0 && headless)) continue;
    const key = portsKey(ep.ports);
    let g = groups.get(key);
    if (!g) {
      const ports = ep.ports.map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        port: p.port,
        protocol: p.protocol,
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      }));
      g = { ports, ready: [], notReady: [] };
      groups.set(key, g);
    }
    (ep.ready ? g.ready : g.notReady).push(address(ep));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => {
      const s: EndpointSubset = {};
      if (g.ready.length > 0) s.addresses = g.ready;
      if (g.notReady.length > 0) s.notReadyAddresses = g.notReady;
      if (g.ports.length > 0) s.ports = g.ports;
      return s;
    });
}

/** Labels of a Service's Endpoints: the Service's own, plus the headless marker. */
function endpointsLabels(svc: ServiceObject): Record<string, string> | undefined {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return Object.keys(labels).length > 0 ? labels : undefined;
}

export class EndpointsController extends Controller {
  readonly name = 'endpoint-controller';
  private readonly index = new PodServiceIndex(this.registry);

  protected setup(): void {
    this.watch(SERVICES, (e) => this.queue.add(keyOf(e.object)));
    this.watch(PODS, (e) => {
      for (const k of this.index.servicesFor(e.type, e.object)) this.queue.add(k);
    });
  }

  protected resyncKeys(): Iterable<string> {
    return this.registry.list(SERVICES).items.map(keyOf);
  }

  protected sync(key: string): void {
    const [ns, name] = splitKey(key);
    const stored = this.registry.tryGet(SERVICES, ns, name);
    if (!stored) return this.deleteEndpoints(ns, name);
    const svc = asKind<ServiceObject>(stored);
    const selector = serviceSelector(svc);
    // In a terminating namespace the namespace controller is removing everything; creating would fail.
    if (!selector || isDeleting(svc) || isNamespaceTerminating(this.registry, ns)) return;
    const subsets = endpointSubsets(svc, podEndpoints(this.registry, svc, selector));
    const labels = endpointsLabels(svc);
    const existing = this.registry.tryGet(ENDPOINTS, ns, name);
    if (!existing) {
      const body: KubeObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
      };
      if (subsets.length > 0) body.subsets = subsets;
      this.registry.create(ENDPOINTS, ns, body);
      return;
    }
    if (
      canonicalJson(existing.subsets ?? []) === canonicalJson(subsets) &&
      canonicalJson(existing.metadata.labels ?? {}) === canonicalJson(labels ?? {})
    )
      return;
    const next = clone(existing);
    if (labels) next.metadata.labels = labels;
    else delete next.metadata.labels;
    if (subsets.length > 0) next.subsets = subsets;
    else delete next.subsets;
    this.registry.update(ENDPOINTS, ns, name, next);
  }

  /** A Service's Endpoints go with it. */
  private deleteEndpoints(ns: string, name: string): void {
    try {
      this.registry.delete(ENDPOINTS, ns, name);
    } catch (e) {
      if (!(e instanceof StatusError) || e.reason !== 'NotFound') throw e;
    }
  }
}
