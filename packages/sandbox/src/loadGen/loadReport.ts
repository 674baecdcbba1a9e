/**
 * What a load run saw, per revision: responses by status code, 5xx, latency quantiles; plus requests
 * that got no HTTP answer at all (transport errors) and requests skipped because too many were in flight.
 */
import { LatencyHistogram } from './latencyHistogram';

/** Responses from one revision (the `x-sandbox-revision` header, else `x-app-version`, else "unknown"). */
export interface RevisionReport {
  total: number;
  /** Status code → responses. */
  byCode: Record<string, number>;
  errors5xx: number;
  p50Ms: number;
  p99Ms: number;
}

/** A load run's counts. `completed` counts HTTP answers; `transportErrors` the requests without one. */
export interface LoadReport {
  sent: number;
  completed: number;
  byRevision: Record<string, RevisionReport>;
  /** Connection errors, timeouts and responses cut off mid-body. */
  transportErrors: number;
  /** Requests due while `maxInFlight` were outstanding, so never sent (open loop: not sent later either). */
  skipped: number;
  elapsedMs: number;
}

interface RevisionTally {
  total: number;
  byCode: Map<number, number>;
  errors5xx: number;
  latency: LatencyHistogram;
}

/** The mutable counters behind a LoadReport. */
export class LoadTally {
  sent = 0;
  skipped = 0;
  transportErrors = 0;
  private completed = 0;
  private readonly revisions = new Map<string, RevisionTally>();

  response(revision: string, status: number, latencyMs: number): void {
    this.completed++;
    let t = this.revisions.get(revision);
    if (!t) {
      t = { total: 0, byCode: new Map(), errors5xx: 0, latency: new LatencyHistogram() };
      this.revisions.set(revision, t);
    }
    t.total++;
    t.byCode.set(status, (t.byCode.get(status) ?? 0) + 1);
    if (status >= 500) t.errors5xx++;
    t.latency.record(latencyMs);
  }

  report(elapsedMs: number): LoadReport {
    const byRevision: Record<string, RevisionReport> = {};
    for (const [rev, t] of this.revisions) {
      byRevision[rev] = {
        total: t.total,
        byCode: Object.fromEntries([...t.byCode].map(([code, n]) => [String(code), n])),
        errors5xx: t.errors5xx,
        p50Ms: Math.round(t.latency.quantile(0.5) * 100) / 100,
        p99Ms: Math.round(t.latency.quantile(0.99) * 100) / 100,
      };
    }
    return {
      sent: this.sent,
      completed: this.completed,
      byRevision,
      transportErrors: this.transportErrors,
      skipped: this.skipped,
      elapsedMs: Math.round(elapsedMs),
    };
  }
}
