/**
 * The names, labels and annotations Ramp gives objects in the cluster (DESIGN §3), in one place so the
 * engine, the routers, observe() and the tests agree on them.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { InvalidLabelError } from '../errors';
import type { RevisionRole } from '../strategies/strategy';

export type { RevisionRole } from '../strategies/strategy';

/** Labels on every ReplicaSet Ramp creates and on its pods. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  app: 'ramp.dev/app',
  revision: 'ramp.dev/revision',
} as const;

/** Annotations on every ReplicaSet Ramp creates. */
export const ANNOTATIONS = {
  rollout: 'ramp.dev/rollout',
  role: 'ramp.dev/role',
  /** On a new revision's ReplicaSet: how to take its traffic away should its rollout's record be lost (RoutingNote). */
  routing: 'ramp.dev/routing',
} as const;

/** Annotations Ramp writes on a Deployment it adopted (and released): who took it over, and the size to hand back. */
export const DEPLOYMENT_ANNOTATIONS = {
  /** The rollout that adopted it: `<ns>.<app>.<seq>`. While it is there, the Deployment is Ramp's to keep at 0. */
  adoptedBy: 'ramp.dev/adopted-by',
  /** Its spec.replicas when it was adopted: what `ramp release` scales it back to. */
  adoptedReplicas: 'ramp.dev/adopted-replicas',
  /** The release that handed it back (kept afterwards, so a person can tell where its template came from). */
  releasedBy: 'ramp.dev/released-by',
} as const;

/** A pod template without the labels Ramp adds to its revisions, so a revision is the user's template's identity alone. */
export function userTemplate(t: V1PodTemplateSpec): V1PodTemplateSpec {
  const copy = structuredClone(t);
  const labels = { ...(copy.metadata?.labels ?? {}) };
  for (const k of Object.keys(labels)) if (k.startsWith('ramp.dev/') || k === LABELS.name) delete labels[k];
  copy.metadata = { ...copy.metadata, labels };
  return copy;
}

/** Whether a label key is one of Ramp's own (`ramp.dev/…`): pods carrying one would be taken for Ramp's. */
export function isRampLabel(key: string): boolean {
  return key.startsWith('ramp.dev/');
}

export const REVISION_ROLES: readonly RevisionRole[] = ['stable', 'canary', 'preview'];

/**
 * The `ramp.dev/role` of a ReplicaSet that plays no part any more: a previous stable once another
 * revision is stable, a rolled-back new revision once its rollout has ended. It has no Service, so it is
 * no RevisionRole; only the current stable revision's ReplicaSet is annotated `stable`.
 */
export const OLD_ROLE = 'old';

/** Every `ramp.dev/role` value Ramp writes. */
export type ReplicaSetRole = RevisionRole | typeof OLD_ROLE;

/** Whether a string (an annotation read back) is a role Ramp writes. */
export function isReplicaSetRole(s: string | undefined): s is ReplicaSetRole {
  return s === OLD_ROLE || REVISION_ROLES.includes(s as RevisionRole);
}

/** The ReplicaSet of one revision: `<app>-<revision>`. */
export function replicaSetName(app: string, revision: string): string {
  return `${app}-${revision}`;
}

/** The canary Service, `<service>-canary`: Ramp's own, it only ever selects the new revision. */
export function canaryServiceName(service: string): string {
  return `${service}-canary`;
}

/** The blue-green preview Service, `<service>-preview`. */
export function previewServiceName(service: string): string {
  return `${service}-preview`;
}

/** The labels of a revision's ReplicaSet and pods. */
export function revisionLabels(app: string, revision: string): Record<string, string> {
  return checkedLabels({ [LABELS.name]: app, [LABELS.app]: app, [LABELS.revision]: revision });
}

/** A revision's ReplicaSet selector: the plan's selector plus `ramp.dev/revision`, so revisions never share pods. */
export function revisionSelector(selector: Readonly<Record<string, string>>, revision: string): Record<string, string> {
  return checkedLabels({ ...selector, [LABELS.revision]: revision });
}

/** The annotations that say which rollout owns a ReplicaSet and what it is for (and, for a new revision, its routing). */
export function revisionAnnotations(rolloutId: string, role: RevisionRole, routing?: string): Record<string, string> {
  return {
    [ANNOTATIONS.rollout]: rolloutId,
    [ANNOTATIONS.role]: role,
    ...(routing ? { [ANNOTATIONS.routing]: routing } : {}),
  };
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return 'the prefix must be a DNS subdomain (like example.com) of at most 253 characters';
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return "the name must be 1–63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value))
    return "a value must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

/** Returns `labels` unchanged after checking every key and value; throws InvalidLabelError naming the first bad one. */
export function checkedLabels<T extends Readonly<Record<string, string>>>(labels: T): T {
  for (const [k, v] of Object.entries(labels)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(v);
    if (problem) throw new InvalidLabelError(k, v, problem);
  }
  return labels;
}

/** An equality label selector (`k1=v1,k2=v2`, keys sorted) for list requests; keys and values are validated, so nothing can be injected. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  checkedLabels(labels);
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** The selector of every ReplicaSet (and pod) of an app that Ramp manages. */
export function appSelector(app: string): string {
  return labelSelector({ [LABELS.app]: app });
}
