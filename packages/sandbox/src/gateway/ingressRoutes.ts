/**
 * networking.k8s.io/v1 Ingresses, compiled the way ingress-nginx's controller compiles them (its
 * createUpstreams, createServers, getBackendServers and mergeAlternativeBackends), pure: Ingresses in,
 * one decision per request out.
 *
 * - Ingresses are taken oldest first (ties: "namespace/name" descending, as ingress-nginx sorts them).
 * - A **server** per host (`*.suffix` wildcards included; rules without a host go to the catch-all
 *   server "_"), each with a root location "/" that serves the Ingress's defaultBackend, if any. A
 *   request reaches the server of its exact host, else the longest matching wildcard, else "_".
 * - A **location** per path (path "" is "/"; pathType ImplementationSpecific, or none, is Prefix, as
 *   ingress-nginx sets it). The first Ingress to claim a host+path+pathType keeps it. A request takes an
 *   Exact location equal to its path, else the longest Prefix matching element by element.
 * - An **upstream** per Service port; the first Ingress to name it decides whether it is a canary's.
 * - A **canary** Ingress (`canary: "true"`) makes no server or location: each of its paths merges its
 *   upstream, as an alternative, into the upstream of the location with the same host, path and
 *   pathType (its defaultBackend into those of "_"). Alternatives belong to the primary *upstream*, so a
 *   canary applies to every location that routes to that Service port; only the first one merged is
 *   used, so of several canary Ingresses for one Service the oldest wins. A canary that merges nowhere
 *   is dropped.
 *
 * Simplifications: every Ingress is served whatever its class; there is no controller default backend
 * (a request that reaches only the root location of no defaultBackend is not an Ingress's: the table
 * falls through to its next rule); aliases, TLS and every other annotation are ignored.
 */
import type { Ingress, IngressBackend, ServiceBackendPort } from 'kubernetes-types/networking/v1';
import type { CanaryPolicy, CookieAffinity, IngressDecision, IngressUpstream } from './ingressTypes';
import { hostnameMatches, pathPrefixMatches, type RequestFacts } from './matching';
import { type AffinityAnnotations, parseAffinity, parseCanary } from './nginxAnnotations';
import { backendKeyOf } from './nginxCanary';
import type { ServiceBackend } from './routeTable';

/** Finds a Service port and its ready endpoints (none when the Service or port does not exist). */
export type ResolveService = (namespace: string, name: string, port: ServiceBackendPort) => ServiceBackend;

const CATCH_ALL = '_';

interface Upstream {
  name: string;
  namespace: string;
  service: string;
  port: ServiceBackendPort;
  noServer: boolean;
  policy?: CanaryPolicy;
  affinityType: string;
  cookie?: Omit<CookieAffinity, 'locations'>;
  locations: Map<string, string[]>;
  alternatives: string[];
}

interface Location {
  path: string;
  pathType: 'Exact' | 'Prefix';
  /** Upstream name; undefined for the root location of a server with no defaultBackend. */
  backend?: string;
  isDefBackend: boolean;
  ingress: string;
}

interface ParsedIngress {
  key: string;
  namespace: string;
  created: number;
  canary: boolean;
  canarySticky: boolean;
  policy: CanaryPolicy;
  affinity: AffinityAnnotations;
  defaultBackend?: IngressBackend;
  rules: { host: string; paths: { path: string; pathType: 'Exact' | 'Prefix'; backend: IngressBackend }[] }[];
}

/** ingress-nginx's upstream name: `<namespace>-<service>-<port number or name>`. */
export function upstreamName(namespace: string, service: string, port: ServiceBackendPort): string {
  return `${namespace}-${service}-${port.number ?? port.name ?? ''}`;
}

function parse(ing: Ingress, problems: string[]): ParsedIngress {
  const namespace = ing.metadata?.namespace ?? '';
  const key = `${namespace}/${ing.metadata?.name ?? ''}`;
  const canary = parseCanary(ing.metadata?.annotations);
  if (canary.problem) problems.push(`Ingress ${key}: ${canary.problem}`);
  const affinity = parseAffinity(ing.metadata?.annotations);
  return {
    key,
    namespace,
    created: Date.parse(ing.metadata?.creationTimestamp ?? '') || 0,
    canary: canary.enabled,
    canarySticky: affinity.canarySticky,
    policy: canary.policy,
    affinity,
    defaultBackend: ing.spec?.defaultBackend,
    rules: (ing.spec?.rules ?? []).map((r) => ({
      host: (r.host ?? '').toLowerCase() || CATCH_ALL,
      paths: (r.http?.paths ?? []).map((p) => ({
        path: p.path || '/',
        pathType: p.pathType === 'Exact' ? ('Exact' as const) : ('Prefix' as const),
        backend: p.backend,
      })),
    })),
  };
}

function byAge(a: ParsedIngress, b: ParsedIngress): number {
  return a.created - b.created || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);
}

/** Ingress routing over one snapshot of Ingresses; immutable once built. */
export class IngressRoutes {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly servers = new Map<string, Location[]>();
  private readonly compiled = new Map<string, IngressUpstream>();

  constructor(
    ingresses: readonly Ingress[],
    private readonly resolve: ResolveService,
    /** Where what cannot be routed as written is described. */
    private readonly problems: string[],
  ) {
    const parsed = ingresses.map((i) => parse(i, problems)).sort(byAge);
    this.createUpstreams(parsed);
    this.createServers(parsed);
    this.addLocations(parsed);
    if (parsed.some((p) => !p.canary)) for (const p of parsed) if (p.canary) this.mergeCanary(p);
    for (const up of this.upstreams.values()) this.compiled.set(up.name, this.compile(up));
  }

  private upstreamOf(p: ParsedIngress, backend: IngressBackend | undefined): string | undefined {
    const svc = backend?.service;
    return svc ? upstreamName(p.namespace, svc.name, svc.port ?? {}) : undefined;
  }

  private newUpstream(p: ParsedIngress, name: string, backend: IngressBackend): Upstream {
    const svc = backend.service as NonNullable<IngressBackend['service']>;
    const up: Upstream = {
      name,
      namespace: p.namespace,
      service: svc.name,
      port: svc.port ?? {},
      noServer: p.canary,
      affinityType: '',
      locations: new Map(),
      alternatives: [],
    };
    if (p.canary) up.policy = p.policy;
    return up;
  }

  private createUpstreams(parsed: readonly ParsedIngress[]): void {
    for (const p of parsed) {
      const def = this.upstreamOf(p, p.defaultBackend);
      // ingress-nginx makes a defaultBackend's upstream anew each time one is named.
      if (def && p.defaultBackend) this.upstreams.set(def, this.newUpstream(p, def, p.defaultBackend));
      for (const r of p.rules)
        for (const path of r.paths) {
          const name = this.upstreamOf(p, path.backend);
          if (name && !this.upstreams.has(name)) this.upstreams.set(name, this.newUpstream(p, name, path.backend));
        }
    }
  }

  private createServers(parsed: readonly ParsedIngress[]): void {
    this.servers.set(CATCH_ALL, [{ path: '/', pathType: 'Prefix', isDefBackend: true, ingress: '' }]);
    for (const p of parsed) {
      if (p.canary) continue;
      const def = this.upstreamOf(p, p.defaultBackend);
      const root = (this.servers.get(CATCH_ALL) as Location[])[0];
      if (def && root.isDefBackend && p.rules.length === 0)
        Object.assign(root, { backend: def, isDefBackend: false, ingress: p.key });
      for (const r of p.rules) {
        if (this.servers.has(r.host)) continue;
        this.servers.set(r.host, [{ path: '/', pathType: 'Prefix', backend: def, isDefBackend: true, ingress: p.key }]);
      }
    }
  }

  private addLocations(parsed: readonly ParsedIngress[]): void {
    for (const p of parsed)
      for (const r of p.rules) {
        const server = this.servers.get(r.host) ?? (this.servers.get(CATCH_ALL) as Location[]);
        for (const path of r.paths) {
          const name = this.upstreamOf(p, path.backend);
          const up = name ? this.upstreams.get(name) : undefined;
          if (!up || up.noServer) continue;
          this.claim(server, p, path, up);
          this.addAffinity(up, p.affinity, r.host, path.path);
        }
      }
  }

  /** The location for a path: a new one, or the server's default one taken over; the first claim keeps it. */
  private claim(
    server: Location[],
    p: ParsedIngress,
    path: { path: string; pathType: Location['pathType'] },
    up: Upstream,
  ): void {
    const same = server.find((l) => l.path === path.path && l.pathType === path.pathType);
    if (!same) {
      server.push({ path: path.path, pathType: path.pathType, backend: up.name, isDefBackend: false, ingress: p.key });
      return;
    }
    if (same.isDefBackend) Object.assign(same, { backend: up.name, isDefBackend: false, ingress: p.key });
  }

  private addAffinity(up: Upstream, a: AffinityAnnotations, host: string, path: string): void {
    if (up.affinityType === '') up.affinityType = a.type;
    if (a.type !== 'cookie') return;
    up.cookie = { cookie: a.cookie, path: a.path, maxAge: a.maxAge, expires: a.expires };
    up.locations.set(host, [...(up.locations.get(host) ?? []), path]);
  }

  private mergeCanary(p: ParsedIngress): void {
    const def = this.upstreamOf(p, p.defaultBackend);
    if (def) this.mergeInto(p, def, this.servers.get(CATCH_ALL) as Location[], () => true);
    for (const r of p.rules)
      for (const path of r.paths) {
        const name = this.upstreamOf(p, path.backend);
        const server = this.servers.get(r.host);
        if (!name) continue;
        if (!server) {
          this.problems.push(`Ingress ${p.key}: canary for host ${r.host}, which no Ingress serves (ignored)`);
          continue;
        }
        this.mergeInto(p, name, server, (l) => l.path === path.path && l.pathType === path.pathType);
      }
  }

  /** Merges canary upstream `altName` into the upstreams of the matching locations; drops it when it merges nowhere. */
  private mergeInto(
    p: ParsedIngress,
    altName: string,
    server: readonly Location[],
    matches: (l: Location) => boolean,
  ): void {
    const alt = this.upstreams.get(altName);
    if (!alt) return;
    let merged = false;
    for (const loc of server) {
      const pri = loc.backend === undefined ? undefined : this.upstreams.get(loc.backend);
      if (!pri) continue;
      // The canary's Service is some location's primary: ingress-nginx leaves both alone.
      if (pri.name === alt.name) return;
      if (pri.noServer || !matches(loc)) continue;
      if (!pri.alternatives.includes(alt.name)) {
        if (p.canarySticky)
          Object.assign(alt, { affinityType: pri.affinityType, cookie: pri.cookie, locations: new Map(pri.locations) });
        pri.alternatives.push(alt.name);
      }
      merged = true;
    }
    if (!merged) {
      this.upstreams.delete(alt.name);
      this.problems.push(
        `Ingress ${p.key}: canary upstream ${alt.name} matches no host and path of a main Ingress (dropped)`,
      );
    }
  }

  private compile(up: Upstream): IngressUpstream {
    const out: IngressUpstream = {
      name: up.name,
      backend: this.resolve(up.namespace, up.service, up.port),
      backendKey: backendKeyOf(up.name),
    };
    if (up.affinityType === 'cookie' && up.cookie) out.affinity = { ...up.cookie, locations: up.locations };
    if (up.policy) out.policy = up.policy;
    return out;
  }

  private serverFor(host: string): [string, Location[]] {
    const exact = host === CATCH_ALL ? undefined : this.servers.get(host);
    if (exact) return [host, exact];
    let best: [string, Location[]] | undefined;
    for (const [name, locs] of this.servers)
      if (name.startsWith('*.') && hostnameMatches(name, host) && (!best || name.length > best[0].length))
        best = [name, locs];
    return best ?? [CATCH_ALL, this.servers.get(CATCH_ALL) as Location[]];
  }

  /** The Ingress decision for a request, or undefined when no Ingress routes it. */
  decide(req: RequestFacts): IngressDecision | undefined {
    const [serverName, locations] = this.serverFor(req.host);
    const exact = locations.find((l) => l.pathType === 'Exact' && l.path === req.path);
    let loc = exact;
    if (!loc)
      for (const l of locations)
        if (l.pathType === 'Prefix' && pathPrefixMatches(l.path, req.path) && (!loc || l.path.length > loc.path.length))
          loc = l;
    const primary = loc?.backend === undefined ? undefined : this.compiled.get(loc.backend);
    if (!loc || !primary) return undefined;
    const alt = this.upstreams.get(primary.name)?.alternatives[0];
    const canary = alt === undefined ? undefined : this.compiled.get(alt);
    return {
      kind: 'ingress',
      ingress: loc.ingress,
      serverName,
      path: loc.path,
      primary,
      ...(canary ? { canary } : {}),
    };
  }
}
