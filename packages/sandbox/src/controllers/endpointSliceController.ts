/**
 * The EndpointSlice controller: discovery.k8s.io/v1 slices for each Service with a selector, one per
 * set of resolved ports (at most 100 endpoints each), with the ready/serving/terminating conditions,
 * the labels kube-proxy and kubectl look for, and the Service as controlling owner. A Service with no
 * endpoints keeps one empty placeholder slice. Writes only when a slice's content changes.
 */
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1';
import { resource } from '../apiServer/resources';
import { StatusError } from '../apiServer/statusError';
import { clone, type KubeObject } from '../apiServer/types';
import { Controller, splitKey } from './controller';
import { canonicalJson } from './deploymentUtil';
import { asKind, controllerRef, isDeleting, isNamespaceTerminating, keyOf, type ServiceObject } from './objects';
import {
  PODS,
  PodServiceIndex,
  podEndpoints,
  portsKey,
  serviceSelector,
  SERVICES,
  type PodEndpoint,
  type ResolvedPort,
} from './serviceEndpoints';

const SLICES = resource('endpointslices');
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';
const MAX_ENDPOINTS_PER_SLICE = 100;

/** What a slice holds; compared to decide whether a stored slice needs a write. */
interface SliceContent {
  labels: Record<string, string>;
  ownerReferences: NonNullable<KubeObject['metadata']['ownerReferences']>;
  addressType: 'IPv4';
  endpoints: Endpoint[];
  ports?: EndpointPort[];
}

function endpointOf(ep: PodEndpoint): Endpoint {
  const e: Endpoint = {
    addresses: [ep.ip],
    conditions: { ready: ep.ready, serving: ep.serving, terminating: ep.terminating },
    targetRef: {
      kind: 'Pod',
      namespace: ep.pod.metadata.namespace,
      name: ep.pod.metadata.name,
      uid: ep.pod.metadata.uid,
    },
  };
  if (ep.pod.spec?.nodeName) e.nodeName = ep.pod.spec.nodeName;
  return e;
}

function slicePorts(ports: readonly ResolvedPort[]): EndpointPort[] {
  return ports.map((p) => ({
    name: p.name,
    port: p.port,
    protocol: p.protocol,
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  }));
}

/** Labels every slice of the Service carries: the Service's own, and the controller's. */
function sliceLabels(svc: ServiceObject): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  delete labels[HEADLESS_LABEL];
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = svc.metadata.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  return labels;
}

/** The slices a Service should have: per port set, endpoints in chunks; one empty slice when none. */
export function desiredSlices(svc: ServiceObject, eps: readonly PodEndpoint[]): SliceContent[] {
  const groups = new Map<string, { ports: ResolvedPort[]; endpoints: Endpoint[] }>();
  for (const ep of eps) {
    const key = portsKey(ep.ports);
    const g = groups.get(key) ?? { ports: ep.ports, endpoints: [] };
    g.endpoints.push(endpointOf(ep));
    groups.set(key, g);
  }
  const base = {
    labels: sliceLabels(svc),
    ownerReferences: [controllerRef(svc, SERVICES)],
    addressType: 'IPv4' as const,
  };
  const out: SliceContent[] = [];
  for (const [, g] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
      const s: SliceContent = { ...base, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) };
      if (g.ports.length > 0) s.ports = slicePorts(g.ports);
      out.push(s);
    }
  }
  if (out.length === 0) out.push({ ...base, endpoints: [] });
  return out;
}

function contentOf(o: KubeObject): SliceContent {
  const c: SliceContent = {
    labels: o.metadata.labels ?? {},
    ownerReferences: o.metadata.ownerReferences ?? [],
    addressType: o.addressType as 'IPv4',
    endpoints: (o.endpoints as Endpoint[] | undefined) ?? [],
  };
  const ports = o.ports as EndpointPort[] | undefined;
  if (ports && ports.length > 0) c.ports = ports;
  return c;
}

const portsOf = (c: SliceContent): string => canonicalJson(c.ports ?? []);

export class EndpointSliceController extends Controller {
  readonly name = 'endpointslice-controller';
  private readonly index = new PodServiceIndex(this.registry);

  protected setup(): void {
    this.watch(SERVICES, (e) => this.queue.add(keyOf(e.object)));
    this.watch(PODS, (e) => {
      for (const k of this.index.servicesFor(e.type, e.object)) this.queue.add(k);
    });
    // Someone else changing or deleting our slice is drift to repair.
    this.watch(SLICES, (e) => {
      const labels = e.object.metadata.labels ?? {};
      if (labels[MANAGED_BY_LABEL] === CONTROLLER_NAME && labels[SERVICE_NAME_LABEL])
        this.queue.add(`${e.object.metadata.namespace}/${labels[SERVICE_NAME_LABEL]}`);
    });
  }

  protected resyncKeys(): Iterable<string> {
    return this.registry.list(SERVICES).items.map(keyOf);
  }

  private existingSlices(ns: string, name: string): readonly KubeObject[] {
    return this.registry.list(SLICES, {
      namespace: ns,
      labelSelector: [
        { key: SERVICE_NAME_LABEL, op: 'in', values: [name] },
        { key: MANAGED_BY_LABEL, op: 'in', values: [CONTROLLER_NAME] },
      ],
    }).items;
  }

  protected sync(key: string): void {
    const [ns, name] = splitKey(key);
    const stored = this.registry.tryGet(SERVICES, ns, name);
    const existing = this.existingSlices(ns, name);
    if (!stored) return existing.forEach((s) => this.deleteSlice(s));
    const svc = asKind<ServiceObject>(stored);
    const selector = serviceSelector(svc);
    // In a terminating namespace the namespace controller is removing everything; creating would fail.
    if (!selector || isDeleting(svc) || isNamespaceTerminating(this.registry, ns)) return;
    const desired = desiredSlices(svc, podEndpoints(this.registry, svc, selector));
    // Slices of an earlier Service of the same name are not ours to reuse.
    const unused = existing.filter((s) => (s.metadata.ownerReferences ?? []).some((r) => r.uid === svc.metadata.uid));
    for (const s of existing) if (!unused.includes(s)) this.deleteSlice(s);
    const toWrite: SliceContent[] = [];
    for (const want of desired) {
      const same = unused.findIndex((s) => canonicalJson(contentOf(s)) === canonicalJson(want));
      if (same >= 0) unused.splice(same, 1);
      else toWrite.push(want);
    }
    for (const want of toWrite) {
      const reuse = unused.findIndex((s) => portsOf(contentOf(s)) === portsOf(want));
      const target = reuse >= 0 ? unused.splice(reuse, 1)[0] : unused.shift();
      if (target) this.updateSlice(target, want);
      else this.createSlice(svc, want);
    }
    for (const s of unused) this.deleteSlice(s);
  }

  private createSlice(svc: ServiceObject, c: SliceContent): void {
    const body: KubeObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        generateName: `${svc.metadata.name}-`,
        namespace: svc.metadata.namespace,
        labels: c.labels,
        ownerReferences: c.ownerReferences,
      },
      addressType: c.addressType,
      endpoints: c.endpoints,
    };
    if (c.ports) body.ports = c.ports;
    for (let attempt = 0; ; attempt++) {
      try {
        this.registry.create(SLICES, svc.metadata.namespace, body);
        return;
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'AlreadyExists' || attempt >= 3) throw e;
      }
    }
  }

  private updateSlice(slice: KubeObject, c: SliceContent): void {
    const next = clone(slice);
    next.metadata.labels = c.labels;
    next.metadata.ownerReferences = c.ownerReferences;
    next.addressType = c.addressType;
    next.endpoints = c.endpoints;
    if (c.ports) next.ports = c.ports;
    else delete next.ports;
    this.registry.update(SLICES, slice.metadata.namespace, slice.metadata.name ?? '', next);
  }

  private deleteSlice(slice: KubeObject): void {
    try {
      this.registry.delete(SLICES, slice.metadata.namespace, slice.metadata.name ?? '', {
        preconditions: { uid: slice.metadata.uid },
      });
    } catch (e) {
      if (!(e instanceof StatusError) || e.reason !== 'NotFound') throw e;
    }
  }
}
