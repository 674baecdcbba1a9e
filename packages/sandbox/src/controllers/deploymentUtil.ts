/**
 * Pure helpers of the deployment controller, after Kubernetes' pkg/controller/deployment/util: the
 * pod-template-hash, revision bookkeeping in annotations, and the surge/unavailable arithmetic of a
 * rolling update. Nothing here reads the clock or the registry.
 */
import type { DeploymentObject, ReplicaSetObject } from './objects';
import { equalIgnoreHash } from './podTemplateHash';

export {
  canonicalJson,
  computeHash,
  equalIgnoreHash,
  POD_TEMPLATE_HASH_LABEL,
  templateWithHash,
} from './podTemplateHash';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';

/** Deployment annotations that are the controller's own and never copied onto a ReplicaSet. */
const SKIP_COPY_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** How long the revision-history annotation may grow (Kubernetes' default). */
const MAX_REVISION_HISTORY_CHARS = 2000;

// ---- Surge and unavailability ---------------------------------------------------------------------

/** An int-or-percent field scaled against `total`; percentages round up or down as asked. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v.trim());
  if (!m) {
    if (/^-?\d+$/.test(v.trim())) return Number(v.trim());
    throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge (rounded up) and maxUnavailable (rounded down) for `desired` replicas. When both come to
 * zero, unavailable becomes 1, as Kubernetes does, so that a rollout can always make progress.
 */
export function resolveFenceposts(
  maxSurge: number | string | undefined,
  maxUnavailable: number | string | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** spec.replicas of a Deployment or ReplicaSet (the registry defaults it to 1). */
export function specReplicas(o: DeploymentObject | ReplicaSetObject | undefined): number {
  return o?.spec.replicas ?? (o ? 1 : 0);
}

function isRollingUpdate(d: DeploymentObject): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** How many pods above spec.replicas a rolling update may run (0 for Recreate). */
export function maxSurge(d: DeploymentObject): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', specReplicas(d)).surge;
}

/** How many of spec.replicas may be unavailable during a rolling update (0 for Recreate). */
export function maxUnavailable(d: DeploymentObject): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicas);
  return Math.min(unavailable, replicas);
}

// ---- Counting ReplicaSets -------------------------------------------------------------------------

/** Sum of spec.replicas. */
export function sumSpecReplicas(rss: readonly (ReplicaSetObject | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs ? specReplicas(rs) : 0), 0);
}

/** Sum of status.replicas (pods that exist and are not being deleted). */
export function sumStatusReplicas(rss: readonly (ReplicaSetObject | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

/** Sum of status.readyReplicas. */
export function sumReadyReplicas(rss: readonly (ReplicaSetObject | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

/** Sum of status.availableReplicas. */
export function sumAvailableReplicas(rss: readonly (ReplicaSetObject | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

/**
 * Pods a ReplicaSet may still be running: the larger of what it wants and what it last reported.
 * Counting this way (not spec alone, as Kubernetes does) keeps a surge within maxSurge even while an
 * old ReplicaSet's scale-down has not been carried out yet.
 */
export function podsAtMost(rs: ReplicaSetObject): number {
  return Math.max(specReplicas(rs), rs.status?.replicas ?? 0);
}

/**
 * Pods of a ReplicaSet that will still be available: its reported available pods, but no more than it
 * wants (a stale status must not let a scale-down take more than is safe).
 */
export function availableAtMost(rs: ReplicaSetObject): number {
  return Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs));
}

/** ReplicaSets that want pods. */
export function filterActive(rss: readonly (ReplicaSetObject | undefined)[]): ReplicaSetObject[] {
  return rss.filter((rs): rs is ReplicaSetObject => rs !== undefined && specReplicas(rs) > 0);
}

function created(o: ReplicaSetObject): number {
  return Date.parse(o.metadata.creationTimestamp ?? '') || 0;
}

/** Oldest first; ties by name. */
export function byCreation(a: ReplicaSetObject, b: ReplicaSetObject): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Lowest revision first; ties by creation. */
export function byRevision(a: ReplicaSetObject, b: ReplicaSetObject): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** Largest first; ties newest first (where a scale-up goes first). */
export function bySizeNewer(a: ReplicaSetObject, b: ReplicaSetObject): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** Largest first; ties oldest first (where a scale-down goes first). */
export function bySizeOlder(a: ReplicaSetObject, b: ReplicaSetObject): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** The ReplicaSet whose template is the deployment's: the oldest one if several are. */
export function findNewReplicaSet(d: DeploymentObject, rss: readonly ReplicaSetObject[]): ReplicaSetObject | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** How many replicas the new ReplicaSet should have now. */
export function newRSNewReplicas(
  d: DeploymentObject,
  allRSs: readonly ReplicaSetObject[],
  newRS: ReplicaSetObject,
): number {
  if (!isRollingUpdate(d)) return specReplicas(d);
  const isNew = (rs: ReplicaSetObject): boolean =>
    rs === newRS || (rs.metadata.uid !== undefined && rs.metadata.uid === newRS.metadata.uid);
  const current = allRSs.reduce((n, rs) => n + (isNew(rs) ? specReplicas(rs) : podsAtMost(rs)), 0);
  const maxTotal = specReplicas(d) + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, specReplicas(d) - specReplicas(newRS));
  return specReplicas(newRS) + Math.max(0, up);
}

/** The only active ReplicaSet, or the newest one when none is active; undefined when several are. */
export function findActiveOrLatest(
  newRS: ReplicaSetObject | undefined,
  oldRSs: readonly ReplicaSetObject[],
): ReplicaSetObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** Whether the new ReplicaSet runs all of the deployment's replicas, all available. */
export function isSaturated(d: DeploymentObject, rs: ReplicaSetObject | undefined): boolean {
  if (!rs) return false;
  const desired = Number(rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION]);
  return (
    desired === specReplicas(d) &&
    specReplicas(rs) === specReplicas(d) &&
    (rs.status?.availableReplicas ?? 0) === specReplicas(d)
  );
}

/**
 * How many replicas a ReplicaSet gains (or loses) when a deployment is scaled mid-rollout: its share
 * of the change, in proportion to its size against the deployment size it was last scaled for.
 */
export function replicaSetProportion(rs: ReplicaSetObject, d: DeploymentObject, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSetObject, d: DeploymentObject): number {
  if (specReplicas(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = specReplicas(d) + maxSurge(d);
  const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION]);
  const base = Number.isInteger(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
  if (base === 0) return 0;
  return Math.round((specReplicas(rs) * deploymentReplicas) / base) - specReplicas(rs);
}

// ---- Revisions and annotations --------------------------------------------------------------------

/** The revision annotation as a number (0 when absent or not a number). */
export function revisionOf(o: { metadata: { annotations?: Record<string, string> } }): number {
  const n = Number(o.metadata.annotations?.[REVISION_ANNOTATION]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** The highest revision among the ReplicaSets (0 when none has one). */
export function maxRevision(rss: readonly ReplicaSetObject[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

type Annotated = { metadata: { annotations?: Record<string, string> } };

function annotations(o: Annotated): Record<string, string> {
  o.metadata.annotations = o.metadata.annotations ?? {};
  return o.metadata.annotations;
}

/** Copies the deployment's own annotations onto a ReplicaSet (in place); says whether any changed. */
export function copyDeploymentAnnotations(d: DeploymentObject, rs: Annotated): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIP_COPY_ANNOTATIONS.has(k) || rs.metadata.annotations?.[k] === v) continue;
    annotations(rs)[k] = v;
    changed = true;
  }
  return changed;
}

/** Whether the desired/max replica annotations differ from these values. */
export function replicasAnnotationsNeedUpdate(rs: Annotated, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Sets the desired/max replica annotations (in place); says whether they changed. */
export function setReplicasAnnotations(rs: Annotated, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  annotations(rs)[DESIRED_REPLICAS_ANNOTATION] = String(desired);
  annotations(rs)[MAX_REPLICAS_ANNOTATION] = String(max);
  return true;
}

/**
 * Brings the new ReplicaSet's annotations up to date (in place): the deployment's annotations, the new
 * revision (remembering the one it replaces in revision-history, as when a rollback reuses an old
 * ReplicaSet) and, for a ReplicaSet about to be created, the replica annotations.
 */
export function setNewReplicaSetAnnotations(
  d: DeploymentObject,
  rs: Annotated,
  newRevision: number,
  exists: boolean,
): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const oldRevisionText = rs.metadata.annotations?.[REVISION_ANNOTATION];
  const oldRevision = revisionOf(rs);
  if (oldRevisionText !== undefined && oldRevision === 0 && oldRevisionText !== '0') return changed;
  if (oldRevision < newRevision) {
    annotations(rs)[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (oldRevisionText !== undefined && oldRevision > 0) {
      const history = rs.metadata.annotations?.[REVISION_HISTORY_ANNOTATION];
      let next = history ? `${history},${oldRevisionText}` : oldRevisionText;
      while (next.length > MAX_REVISION_HISTORY_CHARS && next.includes(',')) next = next.slice(next.indexOf(',') + 1);
      annotations(rs)[REVISION_HISTORY_ANNOTATION] = next;
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}
