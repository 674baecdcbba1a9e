/**
 * Picking where one request goes once the table has decided: a backend of a rule by weight, then a
 * ready endpoint of that Service. Both are deterministic (no randomness), so a test or a benchmark sees
 * exactly the configured split rather than a sample of it.
 */
import { concatFilters, type Filters } from './filters';
import type { Endpoint, RouteDecision, ServiceBackend } from './routeTable';

/**
 * nginx's smooth weighted round robin: each pick adds every weight to its running total, takes the
 * largest and subtracts the sum of weights from it. Over any `sum(weights)` consecutive picks each
 * backend is chosen exactly `weight` times, spread out rather than in runs. Weight 0 is never chosen.
 */
export class SmoothWeightedRoundRobin {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly weights: readonly number[]) {
    this.current = weights.map(() => 0);
    this.total = weights.reduce((a, w) => a + Math.max(0, w), 0);
  }

  /** The index picked, or -1 when every weight is 0 (or there are none). */
  next(): number {
    if (this.total <= 0) return -1;
    let best = -1;
    for (let i = 0; i < this.weights.length; i++) {
      const w = Math.max(0, this.weights[i]);
      if (w === 0) continue;
      this.current[i] += w;
      if (best < 0 || this.current[i] > this.current[best]) best = i;
    }
    this.current[best] -= this.total;
    return best;
  }
}

/**
 * Where a request goes: an endpoint (with the header filters of the rule and backend that sent it
 * there), a Service with none ready (503), or nowhere valid (500).
 */
export type BackendPick =
  | { kind: 'endpoint'; backend: ServiceBackend; endpoint: Endpoint; filters?: Filters }
  | { kind: 'noEndpoints'; backend: ServiceBackend }
  | { kind: 'invalid'; reason: string };

/** Holds the picking state (per rule and per Service port) across routing-table rebuilds. */
export class Balancer {
  private readonly rules = new Map<string, SmoothWeightedRoundRobin>();
  private readonly cursors = new Map<string, number>();

  /** Picks a backend and an endpoint for a decision of kind 'rule' or 'service'. */
  pick(decision: Extract<RouteDecision, { kind: 'rule' | 'service' }>): BackendPick {
    if (decision.kind === 'service') return this.pickEndpoint(decision.backend);
    if (decision.backends.length === 0)
      return {
        kind: 'invalid',
        reason: `rule ${decision.ruleIndex} of HTTPRoute ${decision.route} has no backendRefs`,
      };
    let wrr = this.rules.get(decision.balanceKey);
    if (!wrr) {
      wrr = new SmoothWeightedRoundRobin(decision.backends.map((b) => b.weight));
      this.rules.set(decision.balanceKey, wrr);
    }
    const i = wrr.next();
    if (i < 0)
      return {
        kind: 'invalid',
        reason: `every backendRef of rule ${decision.ruleIndex} of HTTPRoute ${decision.route} has weight 0`,
      };
    const { target, filters } = decision.backends[i];
    if (target.kind === 'invalid') return { kind: 'invalid', reason: target.reason };
    const pick = this.pickEndpoint(target.backend);
    const all = concatFilters(decision.filters, filters);
    return pick.kind === 'endpoint' && all.request.length + all.response.length > 0 ? { ...pick, filters: all } : pick;
  }

  /** Round robin over a Service port's ready endpoints, in the table's stable order. */
  pickEndpoint(backend: ServiceBackend): BackendPick {
    if (backend.endpoints.length === 0) return { kind: 'noEndpoints', backend };
    const k = `${backend.namespace}/${backend.name}:${backend.port}`;
    const n = this.cursors.get(k) ?? 0;
    this.cursors.set(k, n + 1);
    return { kind: 'endpoint', backend, endpoint: backend.endpoints[n % backend.endpoints.length] };
  }

  /** Forgets the weighted state of rules that are gone or whose weights changed. */
  retain(balanceKeys: ReadonlySet<string>): void {
    for (const k of this.rules.keys()) if (!balanceKeys.has(k)) this.rules.delete(k);
  }
}
