/**
 * Turns a desired state into an ordered list of cluster actions (pure). The order is what keeps the
 * invariants: Services first, then pods added, then traffic moved, and only then pods taken away —
 * a canary loses pods only once the router no longer sends it more than it should.
 */
import type { DesiredState, StrategyObserved } from '../strategies/strategy';

export type ClusterAction =
  | { kind: 'ensureStableService'; revision: string }
  | { kind: 'ensureCanaryService'; revision: string }
  | { kind: 'scaleUp'; revision: string; replicas: number; role: 'stable' | 'canary' }
  | { kind: 'route'; weight: number }
  | { kind: 'scaleDown'; revision: string; replicas: number; role?: 'stable' | 'canary'; afterRoute: boolean };

function specOf(observed: StrategyObserved, revision: string): number | undefined {
  if (observed.stable?.revision === revision) return observed.stable.specReplicas;
  if (observed.canary?.revision === revision) return observed.canary.specReplicas;
  return observed.others.find((o) => o.revision === revision)?.specReplicas;
}

/**
 * The actions that take the observed cluster to `desired`, in a safe order. `routerAt` is the weight
 * the router was just verified to be at, if any: no need to set (and read) it again.
 */
export function planActions(desired: DesiredState, observed: StrategyObserved, routerAt?: number): ClusterAction[] {
  const actions: ClusterAction[] = [{ kind: 'ensureStableService', revision: desired.stableServiceRevision }];
  if (desired.canaryServiceRevision)
    actions.push({ kind: 'ensureCanaryService', revision: desired.canaryServiceRevision });
  const downs: ClusterAction[] = [];
  for (const rs of desired.replicaSets) {
    const current = specOf(observed, rs.revision);
    // A ReplicaSet that does not exist and should have no pods is not created (a rollback before the canary started).
    if (current === undefined && rs.replicas === 0) continue;
    // Ensuring also fixes a role annotation; it never lowers replicas (that waits for the route).
    if (current === undefined || current <= rs.replicas)
      actions.push({ kind: 'scaleUp', revision: rs.revision, replicas: rs.replicas, role: rs.role });
    else
      downs.push({
        kind: 'scaleDown',
        revision: rs.revision,
        replicas: rs.replicas,
        role: rs.role,
        afterRoute: desired.scaleDownAfterRoute && rs.role === 'canary',
      });
  }
  if (desired.routerWeight !== 'hold' && desired.routerWeight !== routerAt)
    actions.push({ kind: 'route', weight: desired.routerWeight });
  for (const revision of desired.scaleToZero)
    downs.push({ kind: 'scaleDown', revision, replicas: 0, afterRoute: false });
  return [...actions, ...downs];
}
