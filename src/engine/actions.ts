/**
 * Turns a desired state into an ordered list of cluster actions (pure). The order is what keeps the
 * invariants: Services first, then pods added, then traffic moved, and only then pods taken away — each
 * shrink carrying the conditions it waits for (traffic confirmed, the replacement's pods ready). Old
 * revisions are retired last of all (revisionHistory.ts): demoted once the stable one is annotated, and
 * deleted after every other write.
 */
import type { ObservedVersion } from '../kube/replicaSets';
import type { DesiredState, RevisionRole, ShrinkConstraint, StrategyObserved } from '../strategies/strategy';
import { sameTraffic, type Traffic } from '../strategies/traffic';
import type { Retirement } from './revisionHistory';

export type ClusterAction =
  | { kind: 'ensureService'; role: RevisionRole; revision: string }
  | { kind: 'scaleUp'; revision: string; replicas: number; role: RevisionRole }
  | { kind: 'route'; traffic: Traffic }
  | { kind: 'scaleDown'; revision: string; replicas: number; role?: RevisionRole; after?: ShrinkConstraint }
  /** Annotate `ramp.dev/role: old`, if the ReplicaSet is still the version observed. */
  | { kind: 'demote'; name: string; seen: ObservedVersion }
  /** Delete an empty old ReplicaSet, if it is still the object and version observed. */
  | { kind: 'prune'; name: string; seen: ObservedVersion };

const NO_RETIREMENT: Retirement = { demote: [], prune: [] };

const seenOf = (rs: { uid?: string; resourceVersion: string }): ObservedVersion => ({
  resourceVersion: rs.resourceVersion,
  ...(rs.uid ? { uid: rs.uid } : {}),
});

function specOf(observed: StrategyObserved, revision: string): number | undefined {
  return observed.revisions.find((r) => r.revision === revision)?.specReplicas;
}

/**
 * The actions that take the observed cluster to `desired`, in a safe order. `verified` is traffic the
 * router was just confirmed to be at, if any: no need to set (and read) it again. `retire` names old
 * revisions to demote and to delete.
 */
export function planActions(
  desired: DesiredState,
  observed: StrategyObserved,
  verified?: Traffic,
  retire: Retirement = NO_RETIREMENT,
): ClusterAction[] {
  const actions: ClusterAction[] = [];
  for (const [role, revision] of Object.entries(desired.services) as [RevisionRole, string][])
    actions.push({ kind: 'ensureService', role, revision });
  const downs: ClusterAction[] = [];
  // A retired revision the strategy still lists at 0 (a rolled-back canary) is not ensured back to its old role.
  const retired = new Set([...retire.demote, ...retire.prune].map((rs) => rs.revision));
  for (const rs of desired.replicaSets) {
    if (rs.replicas === 0 && retired.has(rs.revision)) continue;
    const current = specOf(observed, rs.revision);
    // A ReplicaSet that does not exist and should have no pods is not created (a rollback before the canary started).
    if (current === undefined && rs.replicas === 0) continue;
    // Ensuring also fixes a role annotation; it never lowers replicas (that waits for its conditions).
    if (current === undefined || current <= rs.replicas)
      actions.push({ kind: 'scaleUp', revision: rs.revision, replicas: rs.replicas, role: rs.role });
    else
      downs.push({
        kind: 'scaleDown',
        revision: rs.revision,
        replicas: rs.replicas,
        role: rs.role,
        after: rs.shrinkAfter,
      });
  }
  if (desired.traffic !== 'hold' && !(verified && sameTraffic(verified, desired.traffic)))
    actions.push({ kind: 'route', traffic: desired.traffic });
  const kept = new Set([...desired.replicaSets.map((r) => r.revision), ...(desired.retain ?? [])]);
  for (const r of observed.revisions)
    if (r.specReplicas > 0 && !kept.has(r.revision))
      downs.push({ kind: 'scaleDown', revision: r.revision, replicas: 0 });
  // Demoted after the new stable is annotated (a crash in between leaves two stables, never none), and
  // before a shrink writes the same ReplicaSet and changes the version the demotion is conditional on.
  const demotes = retire.demote.map((rs): ClusterAction => ({ kind: 'demote', name: rs.name, seen: seenOf(rs) }));
  const prunes = retire.prune.map((rs): ClusterAction => ({ kind: 'prune', name: rs.name, seen: seenOf(rs) }));
  return [...actions, ...demotes, ...downs, ...prunes];
}
