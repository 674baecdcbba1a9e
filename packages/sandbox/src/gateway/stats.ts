/**
 * What the gateway answered, counted for tests and benchmarks: by status code, by Service and by pod.
 */

/** A copy of the counters at one moment. */
export interface GatewayStats {
  total: number;
  /** Status code → responses ("499": the client went away before an answer). */
  byCode: Record<string, number>;
  /** "namespace/service" → responses routed to it (including its 502/503/504). */
  byService: Record<string, number>;
  /** "namespace/pod" → responses routed to one of its endpoints. */
  byPod: Record<string, number>;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** Mutable counters behind `Gateway.stats()`. */
export class GatewayCounters {
  private total = 0;
  private readonly byCode = new Map<string, number>();
  private readonly byService = new Map<string, number>();
  private readonly byPod = new Map<string, number>();

  record(status: number, service?: string, pod?: string): void {
    this.total++;
    bump(this.byCode, String(status));
    if (service) bump(this.byService, service);
    if (pod) bump(this.byPod, pod);
  }

  snapshot(): GatewayStats {
    return {
      total: this.total,
      byCode: Object.fromEntries(this.byCode),
      byService: Object.fromEntries(this.byService),
      byPod: Object.fromEntries(this.byPod),
    };
  }

  reset(): void {
    this.total = 0;
    this.byCode.clear();
    this.byService.clear();
    this.byPod.clear();
  }
}
