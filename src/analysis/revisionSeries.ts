/**
 * The pure folding of the built-in metrics' counter increments into per-revision windows: request/error
 * counts and latency histogram buckets. Providers answer series labelled as Prometheus' would be (`pod`,
 * `code`, `le`, and the revision label when the plan names one); the queries are each provider's own.
 */
import type { CountWindow, HistogramWindow, PodCounts, PodHistogram } from './types';

/** A series' labels and what it counted in a window (or over a stretch of history). */
export interface Increment {
  labels: Record<string, string>;
  increment: number;
}

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

/** The pod a series comes from: its `pod` label (else its `instance`). */
export function podOf(labels: Readonly<Record<string, string>>): string {
  return labels.pod ?? labels.instance ?? '';
}

/** Sums request and 5xx increments per revision. */
export function countsFrom(increments: readonly Increment[], t: RevisionTarget): Record<Role, CountWindow> {
  const { canary, stable } = countsByPod(increments, t);
  return { canary, stable };
}

/** Request and 5xx increments per revision and per pod (pods sorted by name). */
export function countsByPod(
  increments: readonly Increment[],
  t: RevisionTarget,
): Record<Role, CountWindow> & { pods: PodCounts[] } {
  const out: Record<Role, CountWindow> = { canary: { requests: 0, errors: 0 }, stable: { requests: 0, errors: 0 } };
  const pods = new Map<string, PodCounts>();
  for (const inc of increments) {
    const role = roleOf(inc.labels, t);
    if (!role) continue;
    const error = SERVER_ERROR.test(inc.labels.code ?? '');
    out[role].requests += inc.increment;
    if (error) out[role].errors += inc.increment;
    const name = podOf(inc.labels);
    const pod = pods.get(`${role}/${name}`) ?? { pod: name, role, requests: 0, errors: 0 };
    pod.requests += inc.increment;
    if (error) pod.errors += inc.increment;
    pods.set(`${role}/${name}`, pod);
  }
  return { ...out, pods: [...pods.values()].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0)) };
}

/** Request and 5xx counts of series that carry no revision (the stable's history bins, summed over its pods). */
export function countsOfUnlabelled(samples: readonly Increment[]): CountWindow {
  const out = { requests: 0, errors: 0 };
  for (const s of samples) {
    out.requests += s.increment;
    if (SERVER_ERROR.test(s.labels.code ?? '')) out.errors += s.increment;
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
  const { canary, stable } = histogramsByPod(increments, t);
  return { canary, stable };
}

/** A histogram of series that carry no revision (the stable's history bins). */
export function histogramOfUnlabelled(samples: readonly Increment[]): HistogramWindow {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    const le = parseLe(s.labels.le);
    if (!Number.isNaN(le)) byLe.set(le, (byLe.get(le) ?? 0) + s.increment);
  }
  return toWindow(byLe);
}

/** Bucket increments per revision, and per pod in compact form against the sorted finite bounds `les`. */
export function histogramsByPod(
  increments: readonly Increment[],
  t: RevisionTarget,
): Record<Role, HistogramWindow> & { les: number[]; pods: PodHistogram[] } {
  const byRole: Record<Role, Map<number, number>> = { canary: new Map(), stable: new Map() };
  const byPod = new Map<string, { pod: string; role: Role; byLe: Map<number, number> }>();
  for (const inc of increments) {
    const role = roleOf(inc.labels, t);
    const le = parseLe(inc.labels.le);
    if (!role || Number.isNaN(le)) continue;
    byRole[role].set(le, (byRole[role].get(le) ?? 0) + inc.increment);
    const name = podOf(inc.labels);
    const pod = byPod.get(`${role}/${name}`) ?? { pod: name, role, byLe: new Map<number, number>() };
    pod.byLe.set(le, (pod.byLe.get(le) ?? 0) + inc.increment);
    byPod.set(`${role}/${name}`, pod);
  }
  const les = [...new Set([...byRole.canary.keys(), ...byRole.stable.keys()])]
    .filter((le) => Number.isFinite(le))
    .sort((a, b) => a - b);
  const pods = [...byPod.values()]
    .sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0))
    .map((p) => {
      const w = toWindow(p.byLe);
      return {
        pod: p.pod,
        role: p.role,
        counts: les.map((le) => w.buckets.find((b) => b.le === le)?.count ?? 0),
        count: w.count,
      };
    });
  return { canary: toWindow(byRole.canary), stable: toWindow(byRole.stable), les, pods };
}

/** Whether any series of `role` is in the answer (no series at all is "no data", not "no traffic"). */
export function hasSeries(labels: readonly Readonly<Record<string, string>>[], t: RevisionTarget, role: Role): boolean {
  return labels.some((l) => roleOf(l, t) === role);
}
