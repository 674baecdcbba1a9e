/**
 * A rollout's course as Kubernetes Events on the new revision's ReplicaSet, so `kubectl describe rs`
 * and `kubectl get events` tell what Ramp did and why beside what the cluster did: steps, weights,
 * pauses, verdicts that change the course, promotion, rollback, failure. Best effort and after the
 * commit: an event that cannot be written is logged, never a reason to fail the reconcile.
 */
import { recordEvent, type KubeEvent } from '../kube/events';
import { replicaSetName } from '../kube/names';
import type { ObservedReplicaSet } from '../kube/observe';
import { readReplicaSet } from '../kube/replicaSets';
import type { EngineDeps } from './deps';
import type { RolloutEvent, RolloutRecord } from './record';

const WARNINGS = new Set<RolloutEvent['type']>(['RollingBack', 'RolledBack', 'Failed', 'Warning']);

/**
 * Per object, at most `burst` events at once and one more every `refillMs` (client-go's recorder:
 * 25, then one every 5 minutes), so a rollout that flaps cannot flood the API server's event store.
 */
export class EventRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst = 25,
    private readonly refillMs = 5 * 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** Whether one more event about `key` may be written at `now` (and takes it). */
  take(key: string, now: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const refilled = Math.min(this.burst, b.tokens + Math.floor((now - b.at) / this.refillMs));
    const at = refilled > b.tokens ? now : b.at;
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, at });
      return false;
    }
    // Forget the oldest objects first: a long-running worker sees many rollouts.
    if (!this.buckets.has(key) && this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: refilled - 1, at });
    return true;
  }
}

const limiter = new EventRateLimiter();

/** The Kubernetes Events for a committed record's rollout events about `rs`, pure. */
export function clusterEvents(
  record: RolloutRecord,
  events: readonly RolloutEvent[],
  rs: Pick<ObservedReplicaSet, 'name' | 'uid'>,
): KubeEvent[] {
  const object = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.name, ...(rs.uid ? { uid: rs.uid } : {}) };
  return events.map((e) => ({
    namespace: record.namespace,
    object,
    type: WARNINGS.has(e.type) ? ('Warning' as const) : ('Normal' as const),
    reason: e.type,
    message: `rollout ${record.id}: ${e.message}`,
  }));
}

/**
 * Writes the events of a committed change on the new revision's ReplicaSet. Returns when they are
 * written or refused; never throws.
 */
export async function announce(
  deps: Pick<EngineDeps, 'kube' | 'logger'>,
  record: RolloutRecord,
  events: readonly RolloutEvent[],
  observed: readonly ObservedReplicaSet[] | undefined,
  now: number,
): Promise<void> {
  const rev = record.revisions.new;
  if (!rev || events.length === 0) return;
  try {
    const name = replicaSetName(record.app, rev);
    let rs: Pick<ObservedReplicaSet, 'name' | 'uid'> | undefined = observed?.find((r) => r.name === name);
    // Created by this very reconcile: read it for its uid, which `kubectl describe` matches events on.
    if (!rs?.uid) {
      const read = await readReplicaSet(deps.kube, record.namespace, name);
      if (!read) return;
      rs = { name, uid: read.metadata?.uid };
    }
    for (const e of clusterEvents(record, events, rs)) {
      if (!limiter.take(`${record.namespace}/${name}`, now)) return;
      await recordEvent(deps.kube, e, new Date(now));
    }
  } catch (err) {
    deps.logger.warn({ err, rolloutId: record.id }, 'could not record a Kubernetes event');
  }
}
