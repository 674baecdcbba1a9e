/**
 * A Deployment as adoption and release see it, and the one change Ramp makes to it, as pure functions of
 * what was read: its size and readiness, Ramp's annotations, and the merge patch that brings it where an
 * adoption or a release wants it (src/kube/deployments.ts sends it).
 */
import type { V1Deployment, V1LabelSelector, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { DEPLOYMENT_ANNOTATIONS } from './names';

/** A Deployment as Ramp reads it. */
export interface ObservedDeployment {
  name: string;
  uid?: string;
  /** spec.replicas (unset means 1). */
  replicas: number;
  readyReplicas: number;
  /** Pods of its current template (status.updatedReplicas). */
  updatedReplicas: number;
  generation: number;
  observedGeneration: number;
  selector: V1LabelSelector;
  /** Its pod template as plain JSON (what the API server returned, defaults included). */
  template: V1PodTemplateSpec;
  /** The labels its pods get (the Deployment controller adds only pod-template-hash). */
  podLabels: Record<string, string>;
  annotations: Record<string, string>;
  /** `ramp.dev/adopted-by`: the rollout that adopted it. */
  adoptedBy?: string;
  /** `ramp.dev/adopted-replicas`, when it is a whole number: its size before adoption. */
  adoptedReplicas?: number;
  /** `ramp.dev/released-by`: the release that last handed it back. */
  releasedBy?: string;
  /**
   * The `pod-template-hash` label of its pods, when they all belong to one of its ReplicaSets: a Service
   * selecting it reaches the Deployment's pods and no one else's. Read only while a handover needs it.
   */
  podTemplateHash?: string;
}

/** The label the Deployment controller gives each of its ReplicaSets and their pods. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';

/** The pod-template-hash of the one ReplicaSet of Deployment `uid` that has pods, if exactly one has. Pure. */
export function currentPodTemplateHash(
  uid: string | undefined,
  replicaSets: readonly V1ReplicaSet[],
): string | undefined {
  const live = replicaSets.filter(
    (rs) =>
      (rs.spec?.replicas ?? 1) > 0 &&
      uid !== undefined &&
      (rs.metadata?.ownerReferences ?? []).some((o) => o.controller && o.uid === uid),
  );
  return live.length === 1 ? live[0].metadata?.labels?.[POD_TEMPLATE_HASH] : undefined;
}

/** What a Deployment should be: only the parts given are compared and written. */
export interface DeploymentTarget {
  replicas?: number;
  /** Ramp's annotations: a value to set, or null to remove. */
  annotations?: Readonly<Record<string, string | null>>;
  /**
   * A pod template to write along with the rest. The API server fills in defaults, so a template read
   * back never equals the one written: it is written only with a change of size or annotations (the
   * annotation is what says it was written).
   */
  template?: V1PodTemplateSpec;
}

/** A client-node object as the plain JSON the API server sent (dates as strings, no undefined keys). */
function plain<T>(o: T): T {
  return JSON.parse(JSON.stringify(o ?? {})) as T;
}

function wholeNumber(s: string | undefined): number | undefined {
  return s !== undefined && /^\d{1,6}$/.test(s) ? Number(s) : undefined;
}

/** The summary of a Deployment read back, pure. */
export function toObservedDeployment(d: V1Deployment): ObservedDeployment {
  const annotations = { ...d.metadata?.annotations };
  const template = plain(d.spec?.template ?? {}) as V1PodTemplateSpec;
  return {
    name: d.metadata?.name ?? '',
    ...(d.metadata?.uid ? { uid: d.metadata.uid } : {}),
    replicas: d.spec?.replicas ?? 1,
    readyReplicas: d.status?.readyReplicas ?? 0,
    updatedReplicas: d.status?.updatedReplicas ?? 0,
    generation: d.metadata?.generation ?? 0,
    observedGeneration: d.status?.observedGeneration ?? 0,
    selector: plain(d.spec?.selector ?? {}),
    template,
    podLabels: { ...template.metadata?.labels },
    annotations,
    adoptedBy: annotations[DEPLOYMENT_ANNOTATIONS.adoptedBy],
    adoptedReplicas: wholeNumber(annotations[DEPLOYMENT_ANNOTATIONS.adoptedReplicas]),
    releasedBy: annotations[DEPLOYMENT_ANNOTATIONS.releasedBy],
  };
}

/** Whether the Deployment controller has seen its latest spec and `replicas` pods of its template are ready. */
export function deploymentReady(d: ObservedDeployment, replicas: number): boolean {
  return (
    d.replicas === replicas &&
    d.observedGeneration >= d.generation &&
    d.updatedReplicas >= replicas &&
    d.readyReplicas >= replicas
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The JSON merge patch (RFC 7386) that turns `from` into `to`: changed keys set, keys only `from` has
 * set to null, lists replaced whole; undefined when they are equal. Pure.
 */
export function mergePatchBetween(from: unknown, to: unknown): unknown {
  if (!isObject(from) || !isObject(to)) return JSON.stringify(from) === JSON.stringify(to) ? undefined : to;
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(to)) {
    const d = k in from ? mergePatchBetween(from[k], v) : v;
    if (d !== undefined) patch[k] = d;
  }
  for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  return Object.keys(patch).length ? patch : undefined;
}

/** The merge patch that brings `current` to `target`, or undefined when it already is. Pure. */
export function deploymentChanges(
  current: ObservedDeployment,
  target: DeploymentTarget,
): Record<string, unknown> | undefined {
  const annotations = Object.fromEntries(
    Object.entries(target.annotations ?? {}).filter(([k, v]) =>
      v === null ? k in current.annotations : current.annotations[k] !== v,
    ),
  );
  const resize = target.replicas !== undefined && target.replicas !== current.replicas;
  const annotate = Object.keys(annotations).length > 0;
  if (!resize && !annotate) return undefined;
  const template = target.template && mergePatchBetween(current.template, plain(target.template));
  const spec = {
    ...(resize ? { replicas: target.replicas } : {}),
    ...(template !== undefined ? { template } : {}),
  };
  return {
    ...(annotate ? { metadata: { annotations } } : {}),
    ...(Object.keys(spec).length ? { spec } : {}),
  };
}
