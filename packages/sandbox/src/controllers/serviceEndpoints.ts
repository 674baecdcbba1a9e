/**
 * What the Endpoints and EndpointSlice controllers share: which pods back a Service, which port each
 * serves a Service port on (a number, or a container port found by name), what state each endpoint is
 * in, and which Services a pod change concerns.
 */
import type { ServicePort } from 'kubernetes-types/core/v1';
import type { Registry } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { matchesLabels, type Selector } from '../apiServer/selectors';
import type { KubeObject } from '../apiServer/types';
import { asKind, keyOf, type PodObject, type ServiceObject } from './objects';
import { isPodReady, isPodTerminal } from './podState';

export const SERVICES = resource('services');
export const PODS = resource('pods');

/** A Service port resolved on one pod. */
export interface ResolvedPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** One pod as an endpoint of a Service. */
export interface PodEndpoint {
  pod: PodObject;
  ip: string;
  ports: ResolvedPort[];
  /** Pod ready and not terminating (or the Service publishes not-ready addresses). */
  ready: boolean;
  /** Pod ready, whether terminating or not. */
  serving: boolean;
  terminating: boolean;
}

/** The Service's selector, or undefined when it has none (its endpoints are someone else's). */
export function serviceSelector(svc: ServiceObject): Selector | undefined {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return undefined;
  return Object.entries(sel).map(([key, value]) => ({ key, op: 'in' as const, values: [value] }));
}

/** The port a Service port reaches on this pod, or undefined when the pod has no such named port. */
export function resolvePort(svcPort: ServicePort, pod: PodObject): ResolvedPort | undefined {
  const protocol = svcPort.protocol ?? 'TCP';
  const target = svcPort.targetPort ?? svcPort.port;
  let port: number | undefined;
  if (typeof target === 'number') port = target;
  else if (/^\d+$/.test(target)) port = Number(target);
  else {
    for (const c of pod.spec?.containers ?? []) {
      const found = (c.ports ?? []).find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol);
      if (found) {
        port = found.containerPort;
        break;
      }
    }
  }
  if (port === undefined) return undefined;
  const out: ResolvedPort = { name: svcPort.name ?? '', port, protocol };
  if (svcPort.appProtocol) out.appProtocol = svcPort.appProtocol;
  return out;
}

/** The pods selected by a Service with an IP, as endpoints (terminating ones included, marked). */
export function podEndpoints(registry: Registry, svc: ServiceObject, selector: Selector): PodEndpoint[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const out: PodEndpoint[] = [];
  for (const item of registry.list(PODS, { namespace: svc.metadata.namespace, labelSelector: selector }).items) {
    const pod = asKind<PodObject>(item);
    const ip = pod.status?.podIP;
    if (!ip || isPodTerminal(pod)) continue;
    const ports: ResolvedPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const r = resolvePort(sp, pod);
      if (r) ports.push(r);
    }
    const serving = isPodReady(pod);
    const terminating = Boolean(pod.metadata.deletionTimestamp);
    out.push({ pod, ip, ports, serving, terminating, ready: publishNotReady || (serving && !terminating) });
  }
  return out.sort(
    (a, b) => compareIps(a.ip, b.ip) || (a.pod.metadata.name ?? '').localeCompare(b.pod.metadata.name ?? ''),
  );
}

function compareIps(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/** A stable key of a set of ports (endpoints with the same ports share a subset or slice). */
export function portsKey(ports: readonly ResolvedPort[]): string {
  return JSON.stringify([...ports].sort(comparePorts).map((p) => [p.name, p.port, p.protocol, p.appProtocol ?? '']));
}

/** Ports ordered by name, then number, then protocol. */
export function comparePorts(a: ResolvedPort, b: ResolvedPort): number {
  return a.name.localeCompare(b.name) || a.port - b.port || a.protocol.localeCompare(b.protocol);
}

/**
 * Tells which Services a pod change concerns: those selecting the pod now, and those that selected it
 * when last seen (a pod whose labels changed must leave their endpoints).
 */
export class PodServiceIndex {
  private readonly lastServices = new Map<string, string[]>();

  constructor(private readonly registry: Registry) {}

  /** Service keys to reconcile for this pod event. */
  servicesFor(type: string, pod: KubeObject): string[] {
    const key = keyOf(pod);
    const before = this.lastServices.get(key) ?? [];
    const now: string[] = [];
    if (type !== 'DELETED') {
      for (const item of this.registry.list(SERVICES, { namespace: pod.metadata.namespace }).items) {
        const sel = serviceSelector(asKind<ServiceObject>(item));
        if (sel && matchesLabels(sel, pod.metadata.labels)) now.push(keyOf(item));
      }
    }
    if (now.length > 0) this.lastServices.set(key, now);
    else this.lastServices.delete(key);
    return [...new Set([...before, ...now])];
  }
}
