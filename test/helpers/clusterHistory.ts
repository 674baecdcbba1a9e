/**
 * The sandbox API server's watch history of one namespace, as evidence: every change to pods, Services,
 * ReplicaSets and HTTPRoutes with the time it was committed, and the questions the strategy tests ask of
 * it — how many writes a Service took, which pods were ready when, how many were ready at every event.
 * A pod counts as ready while its Ready condition is True and it is not terminating (what endpoints
 * count: the gateway routes only to those).
 */
import { resource, type KubeObject, type ResponseEvent, type Sandbox } from '@ramp/sandbox';

export interface HistoryEvent {
  at: number;
  type: string;
  kind: string;
  name: string;
  object: KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
}

const KINDS = new Set(['Pod', 'Service', 'ReplicaSet', 'HTTPRoute']);

export function isPodReady(o: HistoryEvent['object']): boolean {
  if (o.metadata.deletionTimestamp) return false;
  const conditions = (o.status?.conditions as { type: string; status: string }[] | undefined) ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function revisionOf(o: HistoryEvent['object']): string | undefined {
  return o.metadata.labels?.['ramp.dev/revision'];
}

export class ClusterHistory {
  readonly events: HistoryEvent[] = [];
  private readonly watch: { stop(): void };

  constructor(sb: Sandbox, namespace: string) {
    // What is there when recording starts, as INITIAL events, so counts start from the truth.
    const now = Date.now();
    for (const r of ['pods', 'services', 'replicasets', 'httproutes'])
      for (const o of sb.store.list(resource(r), { namespace }).items)
        this.events.push({
          at: now,
          type: 'INITIAL',
          kind: o.kind ?? '',
          name: o.metadata.name ?? '',
          object: JSON.parse(JSON.stringify(o)) as HistoryEvent['object'],
        });
    this.watch = sb.store.watch(undefined, { namespace }, (e) => {
      const o = e.object as HistoryEvent['object'];
      if (!KINDS.has(o.kind ?? '')) return;
      // Objects in the store are replaced, not changed, but a copy keeps the evidence independent of that.
      const object = JSON.parse(JSON.stringify(o)) as HistoryEvent['object'];
      this.events.push({ at: Date.now(), type: e.type, kind: o.kind ?? '', name: o.metadata.name ?? '', object });
    });
  }

  stop(): void {
    this.watch.stop();
  }

  /** Changes to one object of `kind` (and its state when recording started), from `from` on. */
  of(kind: string, name: string, from = 0): HistoryEvent[] {
    return this.events.filter((e) => e.kind === kind && e.name === name && e.at >= from);
  }

  /** Writes to a Service's selector from `from` on, with the revision it selected after each. */
  selectorWrites(service: string, from = 0): { at: number; revision: string }[] {
    const out: { at: number; revision: string }[] = [];
    let last: string | undefined;
    for (const e of this.events.filter((x) => x.kind === 'Service' && x.name === service)) {
      const selector = (e.object.spec?.selector as Record<string, string> | undefined) ?? {};
      const revision = selector['ramp.dev/revision'] ?? '*';
      if (last !== undefined && revision !== last && e.at >= from) out.push({ at: e.at, revision });
      last = revision;
    }
    return out;
  }

  /** Every write to a Service (any field) from `from` on. */
  serviceWrites(service: string, from = 0): HistoryEvent[] {
    return this.of('Service', service, from).filter((e) => e.type === 'MODIFIED');
  }

  /** spec.replicas of a ReplicaSet after each of its changes, consecutive repeats dropped. */
  replicas(rs: string): number[] {
    const values = this.of('ReplicaSet', rs).map((e) => Number(e.object.spec?.replicas ?? 0));
    return values.filter((v, i) => i === 0 || values[i - 1] !== v);
  }

  /** Pods created from `from` on. */
  podsCreated(from = 0): HistoryEvent[] {
    return this.events.filter((e) => e.kind === 'Pod' && e.type === 'ADDED' && e.at >= from);
  }

  /** Each pod's ready intervals [start, end) (end Infinity while still ready). */
  readyIntervals(): Map<string, [number, number][]> {
    const out = new Map<string, [number, number][]>();
    const since = new Map<string, number>();
    for (const e of this.events) {
      if (e.kind !== 'Pod') continue;
      const ready = e.type !== 'DELETED' && isPodReady(e.object);
      const start = since.get(e.name);
      if (ready && start === undefined) since.set(e.name, e.at);
      if (!ready && start !== undefined) {
        out.set(e.name, [...(out.get(e.name) ?? []), [start, e.at]]);
        since.delete(e.name);
      }
    }
    for (const [pod, start] of since) out.set(pod, [...(out.get(pod) ?? []), [start, Infinity]]);
    return out;
  }

  /** Answers that came from a pod that was not ready at any moment between the request's sending and its answer. */
  fromUnreadyPods(responses: readonly ResponseEvent[]): ResponseEvent[] {
    const intervals = this.readyIntervals();
    return responses.filter((r) => {
      if (!r.pod) return false;
      const pod = r.pod.includes('/') ? r.pod.split('/').pop()! : r.pod;
      const sent = r.at - r.latencyMs;
      return !(intervals.get(pod) ?? []).some(([a, b]) => a <= r.at && b >= sent);
    });
  }

  /**
   * The ready pods of each revision after every pod change (in commit order) since recording started:
   * what a test checks an availability bound against at every event.
   */
  readyByRevision(): { at: number; event: HistoryEvent; ready: Map<string, number> }[] {
    const state = new Map<string, { revision?: string; ready: boolean }>();
    const out: { at: number; event: HistoryEvent; ready: Map<string, number> }[] = [];
    for (const e of this.events) {
      if (e.kind !== 'Pod') continue;
      if (e.type === 'DELETED') state.delete(e.name);
      else state.set(e.name, { revision: revisionOf(e.object), ready: isPodReady(e.object) });
      const ready = new Map<string, number>();
      for (const s of state.values())
        if (s.ready && s.revision) ready.set(s.revision, (ready.get(s.revision) ?? 0) + 1);
      // The starting state counts once it is whole, not pod by pod.
      if (e.type !== 'INITIAL') out.push({ at: e.at, event: e, ready });
    }
    return out;
  }
}

/** The time a request left (the load generator reports when it finished and how long it took). */
export function sentAt(r: ResponseEvent): number {
  return r.at - r.latencyMs;
}
