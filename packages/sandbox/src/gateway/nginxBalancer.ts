/**
 * Picking an endpoint for an Ingress decision, as ingress-nginx's balancers do: the canary or the
 * primary upstream (nginxCanary.ts), then round robin over its endpoints — or, for an upstream with
 * cookie affinity, the endpoint the affinity cookie's key hashes to, with a new key (and a Set-Cookie on
 * the answer) for a client that has none. Unlike HTTPRoute weights, canary weights are random draws,
 * as nginx's are; `random` is injectable so tests can fix them.
 */
import type { Balancer, BackendPick } from './backends';
import type { IngressDecision } from './ingressTypes';
import type { RequestFacts } from './matching';
import {
  affinityCookie,
  cookieValue,
  parseAffinityCookie,
  routesToCanary,
  shouldSetCookie,
  stickyIndex,
} from './nginxCanary';

/** Picks for Ingress decisions; endpoint round robin is shared with the HTTPRoute balancer. */
export class NginxBalancer {
  constructor(
    private readonly endpoints: Balancer,
    private readonly random: () => number = Math.random,
  ) {}

  pick(d: IngressDecision, req: RequestFacts): BackendPick {
    const up = d.canary && routesToCanary(d, req, this.random) ? d.canary : d.primary;
    const backend = up.backend;
    if (backend.endpoints.length === 0 || !up.affinity) return this.endpoints.pickEndpoint(backend);
    const affinity = up.affinity;
    const known = parseAffinityCookie(cookieValue(req.headers, affinity.cookie)).upstreamKey;
    const key = known ?? this.newKey();
    const endpoint = backend.endpoints[stickyIndex(key, backend.endpoints.length)];
    if (known || !shouldSetCookie(affinity, d, req.host)) return { kind: 'endpoint', backend, endpoint };
    const setCookie = affinityCookie({ ...up, affinity }, key, d.path);
    return {
      kind: 'endpoint',
      backend,
      endpoint,
      filters: { request: [], response: [{ set: [], add: [{ name: 'set-cookie', value: setCookie }], remove: [] }] },
    };
  }

  /** A fresh affinity key, in the shape ingress-nginx makes them (time, worker, random). */
  private newKey(): string {
    return `${Date.now() / 1000}.${process.pid}.${Math.floor(this.random() * 999_999) + 1}`;
  }
}
