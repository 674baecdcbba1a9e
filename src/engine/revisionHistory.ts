/**
 * An app's old revisions (issue #16), as pure decisions over one observation and the rollout's record.
 * Two things, both idempotent — a second look at the result decides nothing:
 *
 * - **Roles.** Only the stable revision's ReplicaSet is annotated `ramp.dev/role: stable`. A revision that
 *   plays no part any more is annotated `old`: the previous stable as soon as another one is stable (its
 *   pods may still wait out the scale-down delay), a new revision rolled back once its rollout has ended
 *   and it has no replicas. Anything that trusts the annotation (findStable without a revision selector,
 *   an orphan's report) then reads one stable, not a pile of them.
 * - **History.** Once a rollout has ended and its scale-down delay is over, the app's old ReplicaSets
 *   beyond the newest `revisionHistoryLimit` (by creation time) are deleted if they are empty: no
 *   replicas asked for, no pods, not even terminating ones. Never one that is stable, that the stable
 *   Service selects, that an active rollout uses, or that has pods; only those Ramp made for this app
 *   (`<app>-<revision>`, found by `ramp.dev/app`).
 *
 * Undo does not need these ReplicaSets: it starts the plan of an earlier rollout again from its record,
 * and a deleted revision's ReplicaSet is simply created again.
 */
import { OLD_ROLE, replicaSetName } from '../kube/names';
import type { ObservedReplicaSet } from '../kube/observe';
import type { PodSummary } from '../kube/pods';
import { isTerminal } from './phase';
import type { RolloutRecord } from './record';

/** What the decisions look at. */
export interface HistoryInput {
  app: string;
  /** The app's ReplicaSets as observed. */
  replicaSets: readonly ObservedReplicaSet[];
  /** Pods of each revision, those being deleted left out. */
  pods: Readonly<Record<string, readonly PodSummary[]>>;
  /** Pods of each revision being deleted but still there. */
  terminating: Readonly<Record<string, number>>;
  record: Pick<RolloutRecord, 'phase' | 'revisions' | 'scaleDownAt'>;
  /**
   * The revision the stable Service selects ('*' or absent: none in particular). The canary and preview
   * Services are left out: they go on selecting a rolled-back revision that no traffic reaches.
   */
  stableSelects?: string;
  /** The plan's revisionHistoryLimit. */
  limit: number;
}

/** What to do with old revisions now. */
export interface Retirement {
  /** ReplicaSets whose role becomes `old`. */
  demote: ObservedReplicaSet[];
  /** ReplicaSets to delete, newest first. */
  prune: ObservedReplicaSet[];
}

/** Whether the rollout has ended and nothing waits on a previous revision any more (its scale-down delay is over). */
export function rolloutSettled(record: HistoryInput['record']): boolean {
  return isTerminal(record.phase) && record.scaleDownAt === undefined;
}

/** A ReplicaSet Ramp made for this app: named `<app>-<revision>` after its revision label. */
function ownedBy(app: string, rs: ObservedReplicaSet): boolean {
  return rs.revision !== '' && rs.name === replicaSetName(app, rs.revision);
}

/** The revisions that play a part now, never demoted nor deleted: stable, what the stable Service selects, an active rollout's new one. */
export function revisionsInUse(input: Pick<HistoryInput, 'record' | 'stableSelects'>): Set<string> {
  const { stable, new: rev } = input.record.revisions;
  const out = new Set<string>();
  if (input.stableSelects && input.stableSelects !== '*') out.add(input.stableSelects);
  if (stable) out.add(stable);
  if (!isTerminal(input.record.phase) && rev) out.add(rev);
  return out;
}

/** The revisions never deleted now: those in use, and the previous stable until the rollout has settled. */
export function protectedRevisions(input: Pick<HistoryInput, 'record' | 'stableSelects'>): Set<string> {
  const out = revisionsInUse(input);
  const previous = input.record.revisions.previousStable;
  // It keeps its pods through the scale-down delay (an undo in that window starts none).
  if (!rolloutSettled(input.record) && previous) out.add(previous);
  return out;
}

/** No replicas asked for, none counted, no pod left (not even one shutting down). */
export function isEmpty(input: Pick<HistoryInput, 'pods' | 'terminating'>, rs: ObservedReplicaSet): boolean {
  const s = rs.status;
  return (
    rs.replicas === 0 &&
    s.replicas === 0 &&
    s.readyReplicas === 0 &&
    s.availableReplicas === 0 &&
    (input.pods[rs.revision]?.length ?? 0) === 0 &&
    (input.terminating[rs.revision] ?? 0) === 0
  );
}

/** Newest first: by creation time, then by name (creation times have one-second resolution). */
function newestFirst(a: ObservedReplicaSet, b: ObservedReplicaSet): number {
  return b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name);
}

/**
 * The ReplicaSets to delete: none until the rollout has settled, none when no stable revision is known.
 * Else, as a Deployment does, the app's old revisions (all but the protected ones) count newest first, the
 * newest `limit` are kept, and of the older ones those that are empty go. One that still has pods stays
 * (it is deleted by a later rollout once empty), and so does one without a resourceVersion: its delete
 * could not be made conditional on it not having changed.
 */
export function prunable(input: HistoryInput): ObservedReplicaSet[] {
  if (!rolloutSettled(input.record) || !input.record.revisions.stable) return [];
  const keep = protectedRevisions(input);
  return input.replicaSets
    .filter((rs) => ownedBy(input.app, rs) && !keep.has(rs.revision))
    .sort(newestFirst)
    .slice(Math.max(0, input.limit))
    .filter((rs) => isEmpty(input, rs) && rs.resourceVersion !== '');
}

/**
 * The ReplicaSets whose role becomes `old`: annotated `stable` while another revision is the stable one,
 * or `canary`/`preview` with no replicas left and no active rollout using them. Those about to be deleted
 * are left as they are (a write would change the version the delete is conditional on).
 */
export function demotable(input: HistoryInput, pruned: ReadonlySet<string> = new Set()): ObservedReplicaSet[] {
  if (!input.record.revisions.stable) return [];
  // The previous stable is demoted at once, pods and all: it is no longer what the stable Service means.
  const keep = revisionsInUse(input);
  return input.replicaSets.filter((rs) => {
    if (!ownedBy(input.app, rs) || keep.has(rs.revision) || pruned.has(rs.name)) return false;
    if (rs.role === undefined || rs.role === OLD_ROLE || rs.resourceVersion === '') return false;
    return rs.role === 'stable' || rs.replicas === 0;
  });
}

/** Both decisions for one reconcile; `prune: false` (a rollout still under way) demotes only. */
export function retirement(input: HistoryInput, opts: { prune: boolean }): Retirement {
  const prune = opts.prune ? prunable(input) : [];
  return { demote: demotable(input, new Set(prune.map((rs) => rs.name))), prune };
}
