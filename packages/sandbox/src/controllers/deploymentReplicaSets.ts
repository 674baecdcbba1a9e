/**
 * A Deployment's ReplicaSets: finding (or creating) the one for the current template, keeping its
 * revision annotations straight, and pruning old ones beyond revisionHistoryLimit.
 */
import { StatusError } from '../apiServer/statusError';
import { clone } from '../apiServer/types';
import { DEPLOYMENTS, REPLICASETS, type DeploymentContext } from './deploymentContext';
import { getCondition, hasProgressDeadline, newCondition, PROGRESSING, Reason, setCondition } from './deploymentStatus';
import {
  byRevision,
  computeHash,
  equalIgnoreHash,
  findNewReplicaSet,
  maxRevision,
  newRSNewReplicas,
  POD_TEMPLATE_HASH_LABEL,
  revisionOf,
  setNewReplicaSetAnnotations,
  specReplicas,
  templateWithHash,
} from './deploymentUtil';
import { asKind, controllerRef, isControlledBy, isDeleting, type ReplicaSetObject } from './objects';

export interface ReplicaSetSplit {
  /** The ReplicaSet of the current template (undefined when it does not exist and was not created). */
  newRS: ReplicaSetObject | undefined;
  oldRSs: ReplicaSetObject[];
}

/** Splits the deployment's ReplicaSets into new and old, creating the new one when asked. */
export function replicaSetsAndSyncRevision(ctx: DeploymentContext, createIfMissing: boolean): ReplicaSetSplit {
  const found = findNewReplicaSet(ctx.d, ctx.rsList);
  const oldRSs = ctx.rsList.filter((rs) => rs !== found);
  const newRS = found ? syncExistingNewRS(ctx, found, oldRSs) : createIfMissing ? createNewRS(ctx, oldRSs) : undefined;
  return { newRS, oldRSs };
}

/** Brings an existing new ReplicaSet's revision and minReadySeconds up to date. */
function syncExistingNewRS(
  ctx: DeploymentContext,
  existing: ReplicaSetObject,
  oldRSs: readonly ReplicaSetObject[],
): ReplicaSetObject {
  const copy = clone(existing);
  const annotationsChanged = setNewReplicaSetAnnotations(ctx.d, copy, maxRevision(oldRSs) + 1, true);
  const minReadyChanged = (copy.spec.minReadySeconds ?? 0) !== (ctx.d.spec.minReadySeconds ?? 0);
  let rs = existing;
  if (annotationsChanged || minReadyChanged) {
    copy.spec.minReadySeconds = ctx.d.spec.minReadySeconds;
    rs = ctx.writeReplicaSet(copy);
  }
  ctx.setRevision(revisionOf(rs));
  if (hasProgressDeadline(ctx.d) && !getCondition(ctx.d.status, PROGRESSING)) {
    const status = ctx.statusCopy();
    setCondition(
      status,
      newCondition(
        PROGRESSING,
        'True',
        Reason.FoundNewReplicaSet,
        `Found new replica set "${rs.metadata.name}"`,
        ctx.now,
      ),
    );
    ctx.writeStatus(status);
  }
  return rs;
}

/** The ReplicaSet a deployment's current template asks for, before it is sized and created. */
function newReplicaSetFor(ctx: DeploymentContext): ReplicaSetObject {
  const d = ctx.d;
  const hash = computeHash(d.spec.template, d.status?.collisionCount);
  const template = templateWithHash(d.spec.template, hash);
  const selector = clone(d.spec.selector);
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const rs: ReplicaSetObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: ctx.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      ownerReferences: [controllerRef(d, DEPLOYMENTS)],
    },
    spec: { replicas: 0, selector, template },
  };
  if (d.spec.minReadySeconds !== undefined) rs.spec.minReadySeconds = d.spec.minReadySeconds;
  return rs;
}

/** Creates the new ReplicaSet (or takes over one of the same name and template), sized for a first step. */
function createNewRS(ctx: DeploymentContext, oldRSs: readonly ReplicaSetObject[]): ReplicaSetObject {
  const rs = newReplicaSetFor(ctx);
  const newRevision = maxRevision(oldRSs) + 1;
  rs.spec.replicas = newRSNewReplicas(ctx.d, [...oldRSs, rs], rs);
  setNewReplicaSetAnnotations(ctx.d, rs, newRevision, false);
  let created: ReplicaSetObject;
  let alreadyExisted = false;
  try {
    created = asKind<ReplicaSetObject>(ctx.registry.create(REPLICASETS, ctx.namespace, rs).object);
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    if (e.reason !== 'AlreadyExists') {
      const status = ctx.statusCopy();
      const msg = `Failed to create new replica set "${rs.metadata.name}": ${e.message}`;
      if (hasProgressDeadline(ctx.d))
        setCondition(status, newCondition(PROGRESSING, 'False', Reason.FailedReplicaSetCreate, msg, ctx.now));
      ctx.recorder.record(ctx.d, 'Warning', 'FailedCreate', msg);
      ctx.writeStatus(status);
      throw e;
    }
    created = adoptSameNamed(ctx, rs.metadata.name ?? '');
    alreadyExisted = true;
  }
  ctx.rsList = [...ctx.rsList.filter((x) => x.metadata.uid !== created.metadata.uid), created];
  if (!alreadyExisted && specReplicas(created) > 0) {
    ctx.recorder.record(
      ctx.d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled up replica set ${created.metadata.name} from 0 to ${specReplicas(created)}`,
    );
  }
  ctx.setRevision(newRevision);
  if (!alreadyExisted && hasProgressDeadline(ctx.d)) {
    const status = ctx.statusCopy();
    setCondition(
      status,
      newCondition(
        PROGRESSING,
        'True',
        Reason.NewReplicaSetCreated,
        `Created new replica set "${created.metadata.name}"`,
        ctx.now,
      ),
    );
    ctx.writeStatus(status);
  }
  return created;
}

/**
 * A ReplicaSet with the new one's name exists already: ours with our template is the new one (a
 * previous reconcile created it); anything else is a hash collision, which bumps collisionCount so the
 * next reconcile picks another name.
 */
function adoptSameNamed(ctx: DeploymentContext, name: string): ReplicaSetObject {
  const existing = ctx.registry.tryGet(REPLICASETS, ctx.namespace, name);
  if (
    existing &&
    isControlledBy(existing, ctx.d) &&
    equalIgnoreHash(asKind<ReplicaSetObject>(existing).spec.template, ctx.d.spec.template)
  ) {
    return asKind<ReplicaSetObject>(existing);
  }
  const status = ctx.statusCopy();
  status.collisionCount = (status.collisionCount ?? 0) + 1;
  ctx.writeStatus(status);
  throw new Error(
    `replica set ${name} exists and is not this deployment's: hash collision (collisionCount now ${status.collisionCount})`,
  );
}

/** Deletes the oldest ReplicaSets at zero replicas beyond spec.revisionHistoryLimit. */
export function cleanupOldReplicaSets(ctx: DeploymentContext, oldRSs: readonly ReplicaSetObject[]): void {
  const limit = ctx.d.spec.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const cleanable = oldRSs.map((rs) => ctx.fresh(rs)).filter((rs) => !isDeleting(rs));
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    // Only empty ReplicaSets whose controller has seen their last scale-down are history to drop.
    if (
      (rs.status?.replicas ?? 0) !== 0 ||
      specReplicas(rs) !== 0 ||
      (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)
    )
      continue;
    try {
      ctx.registry.delete(REPLICASETS, ctx.namespace, rs.metadata.name ?? '', {
        preconditions: { uid: rs.metadata.uid },
      });
    } catch (e) {
      if (!(e instanceof StatusError) || e.reason !== 'NotFound') throw e;
    }
    ctx.rsList = ctx.rsList.filter((x) => x.metadata.uid !== rs.metadata.uid);
  }
}
