/** Counts of Kubernetes API requests (every attempt, retries included) by verb, resource and outcome. */
import type { RequestOutcome } from './requestPolicy';

/** The verbs Ramp uses; get and list are reads, the rest writes. */
export type KubeVerb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

/** A snapshot of the counts. */
export interface KubeRequestStats {
  /** Attempts sent, retries included. */
  total: number;
  reads: number;
  writes: number;
  /** Attempts that were retries of a transient failure. */
  retries: number;
  /** `${verb} ${resource} ${outcome}` → attempts. */
  byKey: Record<string, number>;
}

const READS: ReadonlySet<KubeVerb> = new Set(['get', 'list']);

/** Mutable counters behind KubeClient.stats(). */
export class RequestCounter {
  private total = 0;
  private reads = 0;
  private writes = 0;
  private retries = 0;
  private readonly byKey = new Map<string, number>();

  record(verb: KubeVerb, resource: string, outcome: RequestOutcome, retry: boolean): void {
    this.total++;
    if (READS.has(verb)) this.reads++;
    else this.writes++;
    if (retry) this.retries++;
    const key = `${verb} ${resource} ${outcome}`;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
  }

  snapshot(): KubeRequestStats {
    return {
      total: this.total,
      reads: this.reads,
      writes: this.writes,
      retries: this.retries,
      byKey: Object.fromEntries(this.byKey),
    };
  }
}
