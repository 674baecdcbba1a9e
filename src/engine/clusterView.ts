/**
 * The observed cluster as strategies see it (revisions and which revision each Service selects), and
 * the snapshot of it kept in the record so the API, which never reads the cluster, can show the truth.
 */
import { LABELS } from '../kube/names';
import type { Observed } from '../kube/observe';
import type { RevisionRole, StrategyObserved } from '../strategies/strategy';
import type { ClusterSnapshot, RolloutRecord } from './record';

/** Pods kept per revision in the record's snapshot. */
export const MAX_PODS_SHOWN = 10;

/** What the strategy needs of the observed cluster. */
export function strategyView(o: Observed, trafficVerified?: boolean, routeEdited = false): StrategyObserved {
  const services: Partial<Record<RevisionRole, string>> = {};
  for (const [role, svc] of Object.entries(o.services) as [
    RevisionRole,
    NonNullable<Observed['services'][RevisionRole]>,
  ][])
    services[role] = svc.selector[LABELS.revision] ?? '*';
  return {
    revisions: o.replicaSets.map((rs) => ({
      revision: rs.revision,
      specReplicas: rs.replicas,
      readyReplicas: rs.status.readyReplicas,
      pods: o.pods[rs.revision] ?? [],
    })),
    services,
    trafficVerified,
    ...(routeEdited ? { routeEdited } : {}),
    ...(o.deployment
      ? {
          deployment: o.deployment,
          serviceSelectors: Object.fromEntries(Object.entries(o.services).map(([role, svc]) => [role, svc.selector])),
        }
      : {}),
  };
}

/**
 * The revisions worth showing (the rollout's, and any other that still has pods), the router's answer,
 * and the last traffic it confirmed (`verifiedTraffic`: the key of what it confirmed now, else as before).
 */
export function clusterSnapshot(
  o: Observed,
  record: RolloutRecord,
  trafficVerified?: boolean,
  verifiedTraffic?: string,
): ClusterSnapshot {
  const own = new Set([record.revisions.stable, record.revisions.new, record.revisions.previousStable]);
  const revisions = o.replicaSets
    .filter((rs) => own.has(rs.revision) || rs.replicas > 0 || rs.status.readyReplicas > 0)
    .map((rs) => ({
      revision: rs.revision,
      ...(rs.role ? { role: rs.role } : {}),
      replicas: rs.replicas,
      ready: rs.status.readyReplicas,
      // A few pods are enough to say what is wrong; the record stays small.
      pods: (o.pods[rs.revision] ?? []).slice(0, MAX_PODS_SHOWN),
    }));
  return {
    revisions,
    ...(trafficVerified === undefined ? {} : { trafficVerified }),
    ...(verifiedTraffic === undefined ? {} : { verifiedTraffic }),
  };
}
