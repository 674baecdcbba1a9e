/**
 * The gateway's routing table, pure: a snapshot of Services, EndpointSlices, HTTPRoutes, Ingresses and
 * Pods in, routing decisions out. A table is immutable; the gateway builds a new one when any input
 * changes. Picking among weighted backends and endpoints (which needs state) is backends.ts's job, and
 * nginxBalancer.ts's for Ingresses.
 *
 * Precedence, a choice of the sandbox's (a cluster running both a Gateway API implementation and
 * ingress-nginx would have two addresses): an HTTPRoute rule that matches the request, else the Ingress
 * location its host and path reach (ingressRoutes.ts), else a Service named by its Host header.
 */
import type { Pod, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { Ingress, ServiceBackendPort } from 'kubernetes-types/networking/v1';
import { compileFilters, type Filters, NO_FILTERS } from './filters';
import type { HTTPBackendRef, HTTPRoute } from './httpRouteTypes';
import { IngressRoutes } from './ingressRoutes';
import type { IngressDecision } from './ingressTypes';
import {
  compareMatchPrecedence,
  compileMatch,
  type CompiledMatch,
  hostnameMatches,
  hostnameSpecificity,
  matchesRequest,
  type RequestFacts,
} from './matching';

/** The objects a table is built from. */
export interface RouteSnapshot {
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  httpRoutes: readonly HTTPRoute[];
  /** None when absent. */
  ingresses?: readonly Ingress[];
  pods: readonly Pod[];
}

/** A ready endpoint of a Service port: where a request goes, and whose pod answers it. */
export interface Endpoint {
  address: string;
  port: number;
  podNamespace: string;
  podName: string;
  /** Pod label ramp.dev/revision, else pod-template-hash, else ''. */
  revision: string;
}

/** One port of one Service with its ready endpoints (possibly none). */
export interface ServiceBackend {
  namespace: string;
  name: string;
  /** The Service port (not the target port). */
  port: number;
  /** Stable order, so round robin is deterministic. */
  endpoints: readonly Endpoint[];
}

/** A backendRef resolved: a Service port, or why its share of requests gets a 500. */
export type BackendTarget = { kind: 'service'; backend: ServiceBackend } | { kind: 'invalid'; reason: string };

/** A resolved backendRef with its weight, and its own filters (applied only when it is picked). */
export interface WeightedBackend {
  weight: number;
  target: BackendTarget;
  filters?: Filters;
}

/** What the table says about one request. */
export type RouteDecision =
  | {
      kind: 'rule';
      /** "namespace/name" of the HTTPRoute. */
      route: string;
      ruleIndex: number;
      /** Identifies the rule and its weights: state for weighted picking is kept under it. */
      balanceKey: string;
      backends: readonly WeightedBackend[];
      /** The rule's filters, applied to every request it routes. */
      filters?: Filters;
    }
  | IngressDecision
  | { kind: 'service'; backend: ServiceBackend }
  | { kind: 'none'; reason: string };

interface RouteEntry {
  route: string;
  created: number;
  hostnames: readonly string[] | undefined;
  ruleIndex: number;
  matchIndex: number;
  match: CompiledMatch;
  decision: Extract<RouteDecision, { kind: 'rule' }>;
}

interface ServiceInfo {
  namespace: string;
  name: string;
  ports: { name: string; port: number }[];
  endpointsByPortName: Map<string, Endpoint[]>;
  externalName: boolean;
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function revisionOf(pod: Pod | undefined): string {
  const labels = pod?.metadata?.labels ?? {};
  return labels['ramp.dev/revision'] ?? labels['pod-template-hash'] ?? '';
}

/** Ready, not terminating; an unset `ready` means ready, as the EndpointSlice API documents. */
function isReady(conditions: { ready?: boolean; terminating?: boolean } | undefined): boolean {
  return conditions?.ready !== false && conditions?.terminating !== true;
}

function indexEndpoints(snapshot: RouteSnapshot): Map<string, Map<string, Endpoint[]>> {
  const pods = new Map<string, Pod>();
  for (const p of snapshot.pods) pods.set(key(p.metadata?.namespace ?? '', p.metadata?.name ?? ''), p);
  const byService = new Map<string, Map<string, Map<string, Endpoint>>>();
  for (const slice of snapshot.endpointSlices) {
    const ns = slice.metadata?.namespace ?? '';
    const svc = slice.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svc || (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6')) continue;
    const perPort = byService.get(key(ns, svc)) ?? new Map<string, Map<string, Endpoint>>();
    byService.set(key(ns, svc), perPort);
    for (const port of slice.ports ?? []) {
      if (port.port === undefined || (port.protocol ?? 'TCP') !== 'TCP') continue;
      const portName = port.name ?? '';
      const eps = perPort.get(portName) ?? new Map<string, Endpoint>();
      perPort.set(portName, eps);
      for (const ep of slice.endpoints ?? []) {
        const address = ep.addresses?.[0];
        if (!address || !isReady(ep.conditions)) continue;
        const podNamespace = ep.targetRef?.namespace ?? ns;
        const podName =
          ep.targetRef?.kind === 'Pod' || ep.targetRef?.kind === undefined ? (ep.targetRef?.name ?? '') : '';
        const pod = podName ? pods.get(key(podNamespace, podName)) : undefined;
        eps.set(`${address}:${port.port}`, {
          address,
          port: port.port,
          podNamespace,
          podName,
          revision: revisionOf(pod),
        });
      }
    }
  }
  const out = new Map<string, Map<string, Endpoint[]>>();
  for (const [svc, perPort] of byService) {
    const sorted = new Map<string, Endpoint[]>();
    for (const [portName, eps] of perPort) {
      sorted.set(
        portName,
        [...eps.values()].sort(
          (a, b) => a.podName.localeCompare(b.podName) || a.address.localeCompare(b.address) || a.port - b.port,
        ),
      );
    }
    out.set(svc, sorted);
  }
  return out;
}

function indexServices(snapshot: RouteSnapshot): Map<string, ServiceInfo> {
  const endpoints = indexEndpoints(snapshot);
  const out = new Map<string, ServiceInfo>();
  for (const s of snapshot.services) {
    const namespace = s.metadata?.namespace ?? '';
    const name = s.metadata?.name ?? '';
    const ports = (s.spec?.ports ?? [])
      .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
      .map((p) => ({ name: p.name ?? '', port: p.port }));
    out.set(key(namespace, name), {
      namespace,
      name,
      ports,
      endpointsByPortName: endpoints.get(key(namespace, name)) ?? new Map(),
      externalName: s.spec?.type === 'ExternalName',
    });
  }
  return out;
}

/** Parses `<svc>.<ns>.svc.cluster.local`, `<svc>.<ns>.svc` or `<svc>.<ns>` (lower case, no port). */
export function serviceFromHost(host: string): { namespace: string; name: string } | undefined {
  const labels = host.split('.');
  if (labels.some((l) => l === '')) return undefined;
  if (labels.length === 5 && host.endsWith('.svc.cluster.local')) return { name: labels[0], namespace: labels[1] };
  if (labels.length === 3 && labels[2] === 'svc') return { name: labels[0], namespace: labels[1] };
  if (labels.length === 2) return { name: labels[0], namespace: labels[1] };
  return undefined;
}

/** An immutable routing table over one snapshot of the cluster. */
export class RouteTable {
  private readonly services: Map<string, ServiceInfo>;
  private readonly entries: RouteEntry[] = [];
  private readonly ingresses: IngressRoutes;
  /**
   * What is not routed as written, with where it is: matches that could not be compiled (a bad or
   * non-RE2 regular expression), filters not applied, Ingress annotations ignored.
   */
  readonly problems: string[] = [];

  constructor(snapshot: RouteSnapshot) {
    this.services = indexServices(snapshot);
    for (const route of snapshot.httpRoutes) this.addRoute(route);
    this.ingresses = new IngressRoutes(
      snapshot.ingresses ?? [],
      (namespace, name, port) => this.ingressBackend(namespace, name, port),
      this.problems,
    );
    this.entries.sort(
      (a, b) =>
        compareMatchPrecedence(a.match, b.match) ||
        a.created - b.created ||
        (a.route < b.route ? -1 : a.route > b.route ? 1 : 0) ||
        a.ruleIndex - b.ruleIndex ||
        a.matchIndex - b.matchIndex,
    );
  }

  private addRoute(route: HTTPRoute): void {
    const namespace = route.metadata.namespace ?? '';
    const routeKey = key(namespace, route.metadata.name ?? '');
    const created = Date.parse(route.metadata.creationTimestamp ?? '') || 0;
    const hostnames = route.spec?.hostnames?.length ? route.spec.hostnames.map((h) => h.toLowerCase()) : undefined;
    const rules = route.spec?.rules?.length ? route.spec.rules : [{}];
    rules.forEach((rule, ruleIndex) => {
      const at = `${routeKey} spec.rules[${ruleIndex}]`;
      const backends = (rule.backendRefs ?? []).map((ref, i) => {
        const b = this.resolveBackendRef(ref, namespace);
        const filters = compileFilters(ref.filters, `${at}.backendRefs[${i}].filters`, this.problems);
        return filters === NO_FILTERS ? b : { ...b, filters };
      });
      const filters = compileFilters(rule.filters, `${at}.filters`, this.problems);
      const signature = backends.map(
        (b, i) =>
          `${b.target.kind === 'service' ? key(b.target.backend.namespace, b.target.backend.name) + ':' + b.target.backend.port : 'invalid' + i}=${b.weight}`,
      );
      const decision = {
        kind: 'rule' as const,
        route: routeKey,
        ruleIndex,
        balanceKey: `${routeKey}#${ruleIndex}|${signature.join(',')}`,
        backends,
        ...(filters === NO_FILTERS ? {} : { filters }),
      };
      const matches = rule.matches?.length ? rule.matches : [{}];
      matches.forEach((m, matchIndex) => {
        try {
          const match = compileMatch(m, `${at}.matches[${matchIndex}]`);
          this.entries.push({ route: routeKey, created, hostnames, ruleIndex, matchIndex, match, decision });
        } catch (e) {
          this.problems.push((e as Error).message);
        }
      });
    });
  }

  private resolveBackendRef(ref: HTTPBackendRef, routeNamespace: string): WeightedBackend {
    const weight = ref.weight ?? 1;
    if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') {
      return {
        weight,
        target: { kind: 'invalid', reason: `backend ${ref.group ?? ''}/${ref.kind} ${ref.name} is not a Service` },
      };
    }
    const namespace = ref.namespace ?? routeNamespace;
    const backend = this.serviceBackend(namespace, ref.name, ref.port, true);
    return {
      weight,
      target: typeof backend === 'string' ? { kind: 'invalid', reason: backend } : { kind: 'service', backend },
    };
  }

  /**
   * One port of a Service with its ready endpoints, or why there is none. `strictPort`: a port that is
   * not the Service's is an error (backendRefs); otherwise it falls back to the first port (Host headers).
   */
  serviceBackend(
    namespace: string,
    name: string,
    port: number | undefined,
    strictPort = false,
  ): ServiceBackend | string {
    const svc = this.services.get(key(namespace, name));
    if (!svc) return `service ${key(namespace, name)} not found`;
    if (svc.externalName) return `service ${key(namespace, name)} is an ExternalName service`;
    let p = port === undefined ? undefined : svc.ports.find((sp) => sp.port === port);
    if (!p && (port === undefined || !strictPort)) p = svc.ports[0];
    if (!p)
      return port === undefined
        ? `service ${key(namespace, name)} has no ports`
        : `service ${key(namespace, name)} has no port ${port}`;
    return { namespace, name, port: p.port, endpoints: svc.endpointsByPortName.get(p.name) ?? [] };
  }

  /**
   * The Service port an Ingress backend names (by number or name) with its ready endpoints; none when the
   * Service or the port does not exist, which ingress-nginx answers with a 503 as it does an empty one.
   */
  private ingressBackend(namespace: string, name: string, port: ServiceBackendPort): ServiceBackend {
    const svc = this.services.get(key(namespace, name));
    const p = svc?.externalName ? undefined : svc?.ports.find((sp) => sp.port === port.number || sp.name === port.name);
    if (!p) {
      this.problems.push(`Ingress backend: service ${key(namespace, name)} port ${port.number ?? port.name} not found`);
      return { namespace, name, port: port.number ?? 0, endpoints: [] };
    }
    return { namespace, name, port: p.port, endpoints: svc?.endpointsByPortName.get(p.name) ?? [] };
  }

  /** Routes a request: the most specific matching HTTPRoute rule, else an Ingress, else a Service named by the Host. */
  decide(req: RequestFacts): RouteDecision {
    let best: RouteEntry | undefined;
    let bestSpecificity = -1;
    for (const e of this.entries) {
      const specificity = this.hostSpecificity(e, req.host);
      if (specificity <= bestSpecificity) continue;
      if (matchesRequest(e.match, req)) {
        best = e;
        bestSpecificity = specificity;
      }
    }
    if (best) return best.decision;
    const viaIngress = this.ingresses.decide(req);
    if (viaIngress) return viaIngress;
    const named = serviceFromHost(req.host);
    if (named) {
      const backend = this.serviceBackend(named.namespace, named.name, req.hostPort);
      if (typeof backend !== 'string') return { kind: 'service', backend };
    }
    return { kind: 'none', reason: `no route for host "${req.host}" and path "${req.path}"` };
  }

  /** -1 when the route does not serve `host`; otherwise higher is more specific. */
  private hostSpecificity(e: RouteEntry, host: string): number {
    if (!e.hostnames) return hostnameSpecificity(undefined);
    let best = -1;
    for (const h of e.hostnames) if (hostnameMatches(h, host)) best = Math.max(best, hostnameSpecificity(h));
    return best;
  }

  /** Every balance key of every rule (state for others can be dropped). */
  balanceKeys(): Set<string> {
    return new Set(this.entries.map((e) => e.decision.balanceKey));
  }

  /** Every "address:port" an endpoint of any Service points at. */
  upstreams(): Set<string> {
    const out = new Set<string>();
    for (const svc of this.services.values())
      for (const eps of svc.endpointsByPortName.values()) for (const ep of eps) out.add(`${ep.address}:${ep.port}`);
    return out;
  }
}
