/**
 * One ReplicaSet per revision (DESIGN §3): created with Ramp's name, labels, annotations and selector;
 * afterwards only its replicas and its rollout/role annotations change — the template is the revision's
 * identity and is never written again — until, empty and beyond the plan's revisionHistoryLimit, it is
 * deleted. A write that would change nothing is not made (invariant 5).
 */
import { PatchStrategy, setHeaderOptions, type V1PodTemplateSpec, type V1ReplicaSet } from '@kubernetes/client-node';
import type { KubeClient } from './client';
import { KubeConflictError, KubeNotFoundError } from '../errors';
import { retryOnConflict } from './conflicts';
import {
  ANNOTATIONS,
  type ReplicaSetRole,
  type RevisionRole,
  replicaSetName,
  revisionAnnotations,
  revisionLabels,
  revisionSelector,
} from './names';

/** What a revision's ReplicaSet should be. */
export interface DesiredReplicaSet {
  namespace: string;
  app: string;
  /** The template's revision hash (src/plan/revision.ts). */
  revision: string;
  /** The pod template as the plan gives it; Ramp's revision labels are added to its labels. */
  template: V1PodTemplateSpec;
  /** The plan's selector; `ramp.dev/revision` is added. */
  selector: Readonly<Record<string, string>>;
  replicas: number;
  role: RevisionRole;
  rolloutId: string;
  /** The `ramp.dev/routing` annotation (a new revision's), when there is one. */
  routing?: string;
}

/** What an ensure did. */
export type EnsureResult = 'created' | 'updated' | 'unchanged';

const RESOURCE = 'replicasets';

/** The ReplicaSet Ramp creates for `d`, pure. */
export function replicaSetManifest(d: DesiredReplicaSet): V1ReplicaSet {
  const labels = revisionLabels(d.app, d.revision);
  const template = structuredClone(d.template);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...labels } };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: replicaSetName(d.app, d.revision),
      namespace: d.namespace,
      labels,
      annotations: revisionAnnotations(d.rolloutId, d.role, d.routing),
    },
    spec: { replicas: d.replicas, selector: { matchLabels: revisionSelector(d.selector, d.revision) }, template },
  };
}

/** A merge patch of what differs among replicas, role and rollout; undefined when nothing does. Pure. */
export function replicaSetChanges(
  current: V1ReplicaSet,
  d: Pick<DesiredReplicaSet, 'replicas' | 'role' | 'rolloutId' | 'routing'>,
): Record<string, unknown> | undefined {
  const patch: { metadata?: { annotations: Record<string, string> }; spec?: { replicas: number } } = {};
  const want = revisionAnnotations(d.rolloutId, d.role, d.routing);
  const have = current.metadata?.annotations ?? {};
  const annotations = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  if (Object.keys(annotations).length > 0) patch.metadata = { annotations };
  // An unset spec.replicas means 1 to Kubernetes.
  if ((current.spec?.replicas ?? 1) !== d.replicas) patch.spec = { replicas: d.replicas };
  return patch.metadata || patch.spec ? patch : undefined;
}

/** The ReplicaSet, or undefined when there is none. */
export function readReplicaSet(client: KubeClient, namespace: string, name: string): Promise<V1ReplicaSet | undefined> {
  return client.readOrUndefined(RESOURCE, (o) => client.apps.readNamespacedReplicaSet({ name, namespace }, o));
}

function patchReplicaSet(
  client: KubeClient,
  namespace: string,
  name: string,
  body: Record<string, unknown>,
): Promise<V1ReplicaSet> {
  return client.call('patch', RESOURCE, (o) =>
    client.apps.patchNamespacedReplicaSet(
      { name, namespace, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o),
    ),
  );
}

/**
 * Creates the revision's ReplicaSet, or brings an existing one's replicas and annotations to `d` with
 * one merge patch of only what differs. A 409 (created or changed by someone else meanwhile) re-reads
 * and decides again.
 */
export function ensureReplicaSet(client: KubeClient, d: DesiredReplicaSet): Promise<EnsureResult> {
  const name = replicaSetName(d.app, d.revision);
  return retryOnConflict(async () => {
    const current = await readReplicaSet(client, d.namespace, name);
    if (!current) {
      await client.call('create', RESOURCE, (o) =>
        client.apps.createNamespacedReplicaSet({ namespace: d.namespace, body: replicaSetManifest(d) }, o),
      );
      return 'created';
    }
    const patch = replicaSetChanges(current, d);
    if (!patch) return 'unchanged';
    await patchReplicaSet(client, d.namespace, name, patch);
    return 'updated';
  });
}

/** Sets a ReplicaSet's spec.replicas; no write when it already has that many. KubeNotFoundError when it does not exist. */
export function scaleReplicaSet(
  client: KubeClient,
  namespace: string,
  name: string,
  replicas: number,
): Promise<'updated' | 'unchanged'> {
  return retryOnConflict(async () => {
    const current = await client.call('get', RESOURCE, (o) =>
      client.apps.readNamespacedReplicaSet({ name, namespace }, o),
    );
    if ((current.spec?.replicas ?? 1) === replicas) return 'unchanged';
    await patchReplicaSet(client, namespace, name, { spec: { replicas } });
    return 'updated';
  });
}

/** The version of a ReplicaSet that was observed: a write based on it is refused once the object changed. */
export interface ObservedVersion {
  uid?: string;
  resourceVersion: string;
}

/**
 * Sets a ReplicaSet's `ramp.dev/role`, provided it is still the version observed: 'changed' when it is
 * not (someone wrote it since; the next look decides again), 'gone' when it no longer exists.
 */
export async function setReplicaSetRole(
  client: KubeClient,
  namespace: string,
  name: string,
  role: ReplicaSetRole,
  seen: ObservedVersion,
): Promise<'updated' | 'changed' | 'gone'> {
  // A merge patch carrying resourceVersion is refused with 409 when the object moved on.
  const body = { metadata: { resourceVersion: seen.resourceVersion, annotations: { [ANNOTATIONS.role]: role } } };
  try {
    await patchReplicaSet(client, namespace, name, body);
    return 'updated';
  } catch (e) {
    if (e instanceof KubeConflictError) return 'changed';
    if (e instanceof KubeNotFoundError) return 'gone';
    throw e;
  }
}

/**
 * Deletes a ReplicaSet only if it is still the object and version observed (preconditions on uid and
 * resourceVersion): one scaled up or changed meanwhile is left alone ('changed'); 404 is 'gone' (deleted
 * already, say by another worker, or by this request before a retried timeout).
 */
export async function deleteReplicaSetIfUnchanged(
  client: KubeClient,
  namespace: string,
  name: string,
  seen: ObservedVersion,
): Promise<'deleted' | 'changed' | 'gone'> {
  const preconditions = { resourceVersion: seen.resourceVersion, ...(seen.uid ? { uid: seen.uid } : {}) };
  try {
    await client.call('delete', RESOURCE, (o) =>
      client.apps.deleteNamespacedReplicaSet(
        { name, namespace, body: { preconditions, propagationPolicy: 'Background' } },
        o,
      ),
    );
    return 'deleted';
  } catch (e) {
    if (e instanceof KubeConflictError) return 'changed';
    if (e instanceof KubeNotFoundError) return 'gone';
    throw e;
  }
}
