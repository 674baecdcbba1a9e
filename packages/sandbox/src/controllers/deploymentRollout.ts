/**
 * The moves of a Deployment rollout, after Kubernetes' rolling.go, recreate.go and sync.go: scale the
 * new ReplicaSet up within maxSurge, scale old ones down within maxUnavailable (RollingUpdate), or all
 * old pods gone before any new one (Recreate); and proportional scaling when spec.replicas changes
 * mid-rollout. Each function answers whether it changed anything, so the caller can stop there and
 * let the next reconcile see the result.
 */
import type { DeploymentContext } from './deploymentContext';
import {
  availableAtMost,
  byCreation,
  bySizeNewer,
  bySizeOlder,
  DESIRED_REPLICAS_ANNOTATION,
  filterActive,
  findActiveOrLatest,
  isSaturated,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  replicaSetProportion,
  specReplicas,
  sumSpecReplicas,
} from './deploymentUtil';
import type { ReplicaSetObject } from './objects';
import { isPodTerminal } from './podState';

/** Scales the new ReplicaSet towards spec.replicas as far as maxSurge allows. */
export function reconcileNewReplicaSet(
  ctx: DeploymentContext,
  allRSs: readonly ReplicaSetObject[],
  newRS: ReplicaSetObject,
): boolean {
  const want = specReplicas(ctx.d);
  const have = specReplicas(newRS);
  if (have === want) return false;
  if (have > want) return ctx.scaleIfResized(newRS, want).scaled;
  return ctx.scaleIfResized(newRS, newRSNewReplicas(ctx.d, allRSs, newRS)).scaled;
}

/** Scales old ReplicaSets down as far as maxUnavailable allows, unhealthy pods first. */
export function reconcileOldReplicaSets(
  ctx: DeploymentContext,
  allRSs: readonly ReplicaSetObject[],
  oldRSs: readonly ReplicaSetObject[],
  newRS: ReplicaSetObject,
): boolean {
  const oldPods = sumSpecReplicas(oldRSs);
  if (oldPods === 0) return false;
  const allPods = sumSpecReplicas(allRSs);
  const minAvailable = specReplicas(ctx.d) - maxUnavailable(ctx.d);
  const newUnavailable = specReplicas(newRS) - availableAtMost(newRS);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = cleanupUnhealthyReplicas(ctx, oldRSs, maxScaledDown);
  const scaledDown = scaleDownOldForRollingUpdate(ctx, [...cleaned.oldRSs, newRS], cleaned.oldRSs);
  return cleaned.count + scaledDown > 0;
}

/** Removes old ReplicaSets' unavailable replicas first: they serve nothing, so losing them costs nothing. */
function cleanupUnhealthyReplicas(
  ctx: DeploymentContext,
  oldRSs: readonly ReplicaSetObject[],
  maxCleanup: number,
): { oldRSs: ReplicaSetObject[]; count: number } {
  const out = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < out.length && total < maxCleanup; i++) {
    const rs = ctx.fresh(out[i]);
    const replicas = specReplicas(rs);
    const available = availableAtMost(rs);
    if (replicas === 0 || replicas === available) continue;
    const down = Math.min(maxCleanup - total, replicas - available);
    out[i] = ctx.scaleIfResized(rs, replicas - down).rs;
    total += down;
  }
  return { oldRSs: out, count: total };
}

/** Scales old ReplicaSets down by what availability above minAvailable allows, oldest first. */
function scaleDownOldForRollingUpdate(
  ctx: DeploymentContext,
  allRSs: readonly ReplicaSetObject[],
  oldRSs: readonly ReplicaSetObject[],
): number {
  const minAvailable = specReplicas(ctx.d) - maxUnavailable(ctx.d);
  const available = allRSs.reduce((n, rs) => n + availableAtMost(ctx.fresh(rs)), 0);
  if (available <= minAvailable) return 0;
  const toScaleDown = available - minAvailable;
  let total = 0;
  for (const target of [...oldRSs].map((rs) => ctx.fresh(rs)).sort(byCreation)) {
    if (total >= toScaleDown) break;
    const replicas = specReplicas(target);
    if (replicas === 0) continue;
    const down = Math.min(replicas, toScaleDown - total);
    ctx.scaleIfResized(target, replicas - down);
    total += down;
  }
  return total;
}

/** Recreate, first half: every old ReplicaSet to zero. */
export function scaleDownOldForRecreate(ctx: DeploymentContext, oldRSs: readonly ReplicaSetObject[]): boolean {
  let scaled = false;
  for (const rs of filterActive(oldRSs.map((x) => ctx.fresh(x)))) {
    if (ctx.scaleIfResized(rs, 0).scaled) scaled = true;
  }
  return scaled;
}

/** Whether any pod of an old ReplicaSet still exists and has not finished (terminating ones count). */
export function oldPodsRunning(
  ctx: DeploymentContext,
  newRS: ReplicaSetObject | undefined,
  oldRSs: readonly ReplicaSetObject[],
): boolean {
  if (oldRSs.some((rs) => (ctx.fresh(rs).status?.replicas ?? 0) > 0)) return true;
  const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
  return ctx.pods.some((p) => {
    const owner = (p.metadata.ownerReferences ?? []).find((r) => r.controller)?.uid;
    return owner !== undefined && owner !== newRS?.metadata.uid && oldUids.has(owner) && !isPodTerminal(p);
  });
}

/** Whether spec.replicas changed since the active ReplicaSets were last sized for it. */
export function isScalingEvent(ctx: DeploymentContext, allRSs: readonly (ReplicaSetObject | undefined)[]): boolean {
  for (const rs of filterActive(allRSs)) {
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
    if (desired === undefined) continue;
    if (Number(desired) !== specReplicas(ctx.d)) return true;
  }
  return false;
}

/**
 * Sizes the ReplicaSets for spec.replicas without rolling: one active ReplicaSet takes everything;
 * a saturated new one leaves the old ones at zero; otherwise (mid-rollout) the change is spread over
 * the active ReplicaSets in proportion to their sizes, leftovers to the largest.
 */
export function scaleDeployment(
  ctx: DeploymentContext,
  newRS: ReplicaSetObject | undefined,
  oldRSs: readonly ReplicaSetObject[],
): void {
  const d = ctx.d;
  const only = findActiveOrLatest(
    ctx.fresh(newRS),
    oldRSs.map((rs) => ctx.fresh(rs)),
  );
  if (only) {
    if (specReplicas(only) !== specReplicas(d)) ctx.scaleIfResized(only, specReplicas(d));
    return;
  }
  if (isSaturated(d, ctx.fresh(newRS))) {
    for (const rs of filterActive(oldRSs.map((x) => ctx.fresh(x)))) ctx.scaleIfResized(rs, 0);
    return;
  }
  if ((d.spec.strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
  const active = filterActive([...oldRSs, newRS].map((rs) => ctx.fresh(rs)));
  const allowed = specReplicas(d) > 0 ? specReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(active);
  const operation = toAdd > 0 ? 'up' : toAdd < 0 ? 'down' : undefined;
  if (toAdd > 0) active.sort(bySizeNewer);
  if (toAdd < 0) active.sort(bySizeOlder);
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of active) {
    const proportion = replicaSetProportion(rs, d, toAdd, added);
    sizes.set(rs.metadata.uid ?? '', specReplicas(rs) + proportion);
    added += proportion;
  }
  active.forEach((rs, i) => {
    let size = sizes.get(rs.metadata.uid ?? '') ?? specReplicas(rs);
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + (toAdd - added));
    ctx.scale(rs, size, operation);
  });
}
