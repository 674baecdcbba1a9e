/**
 * The pure folding of the built-in metrics' counter increments into per-revision windows: request/error
 * counts and latency histogram buckets. Providers answer series labelled as Prometheus' would be (`pod`,
 * `code`, `le`, and the revision label when the plan names one); the queries are each provider's own.
 */
import type { Increment } from './counters';
import type { CountWindow, HistogramWindow } from './types';

/** Which rollout this is about, as the measurement layer needs it. */
export interface RevisionTarget {
  namespace: string;
  app: string;
  canaryRevision: string;
  stableRevision?: string;
  revisionLabel?: string;
}

export type Role = 'canary' | 'stable';

/** Which revision a series belongs to: by the revision label, else by the pod name `<app>-<revision>-…`. */
export function roleOf(labels: Readonly<Record<string, string>>, t: RevisionTarget): Role | undefined {
  if (t.revisionLabel !== undefined) {
    const r = labels[t.revisionLabel];
    if (r === t.canaryRevision) return 'canary';
    return r !== undefined && r === t.stableRevision ? 'stable' : undefined;
  }
  const pod = labels.pod ?? '';
  const canary = pod.startsWith(`${t.app}-${t.canaryRevision}-`);
  const stable = t.stableRevision !== undefined && pod.startsWith(`${t.app}-${t.stableRevision}-`);
  // Both match only when one revision is a prefix of the other plus '-…': the longer one is the pod's.
  if (canary && stable) return (t.stableRevision as string).length > t.canaryRevision.length ? 'stable' : 'canary';
  return canary ? 'canary' : stable ? 'stable' : undefined;
}

const SERVER_ERROR = /^5\d\d$/;

/** Sums request and 5xx increments per revision. */
export function countsFrom(increments: readonly Increment[], t: RevisionTarget): Record<Role, CountWindow> {
  const out: Record<Role, CountWindow> = { canary: { requests: 0, errors: 0 }, stable: { requests: 0, errors: 0 } };
  for (const inc of increments) {
    const role = roleOf(inc.labels, t);
    if (!role) continue;
    out[role].requests += inc.increment;
    if (SERVER_ERROR.test(inc.labels.code ?? '')) out[role].errors += inc.increment;
  }
  return out;
}

/** `le` as Prometheus writes it ("0.005", "+Inf"). */
function parseLe(text: string | undefined): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  return text === undefined ? NaN : Number(text);
}

function toWindow(byLe: Map<number, number>): HistogramWindow {
  const finite = [...byLe.entries()].filter(([le]) => Number.isFinite(le)).sort((a, b) => a[0] - b[0]);
  const buckets = finite.map(([le, count]) => ({ le, count }));
  // Without a +Inf bucket (never from a real client), the largest bucket is the best count we have.
  const count = byLe.get(Infinity) ?? Math.max(0, ...buckets.map((b) => b.count));
  return { buckets, count };
}

/** Sums bucket increments per revision; `count` is the +Inf bucket (finite JSON has no Infinity). */
export function histogramsFrom(increments: readonly Increment[], t: RevisionTarget): Record<Role, HistogramWindow> {
  const byRole: Record<Role, Map<number, number>> = { canary: new Map(), stable: new Map() };
  for (const inc of increments) {
    const role = roleOf(inc.labels, t);
    const le = parseLe(inc.labels.le);
    if (!role || Number.isNaN(le)) continue;
    byRole[role].set(le, (byRole[role].get(le) ?? 0) + inc.increment);
  }
  return { canary: toWindow(byRole.canary), stable: toWindow(byRole.stable) };
}

/** Whether any series of `role` is in the answer (no series at all is "no data", not "no traffic"). */
export function hasSeries(labels: readonly Readonly<Record<string, string>>[], t: RevisionTarget, role: Role): boolean {
  return labels.some((l) => roleOf(l, t) === role);
}
