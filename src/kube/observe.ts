/**
 * What runs for an app, as the engine needs it each reconcile: the app's ReplicaSets and pods (found by
 * `ramp.dev/app`) with their readiness and problems, and the selectors of the Services its strategy
 * manages. Steady-state cost: two lists and a get per Service, sent together.
 */
import type { V1PodTemplateSpec, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import type { KubeClient } from './client';
import { readDeployment, type ObservedDeployment } from './deployments';
import type { RevisionRole } from '../strategies/strategy';
import { ANNOTATIONS, appSelector, isReplicaSetRole, LABELS, type ReplicaSetRole } from './names';
import { listAppPods, type PodSummary } from './pods';
import { readService } from './services';

/** One ReplicaSet of the app. */
export interface ObservedReplicaSet {
  name: string;
  uid?: string;
  /** Its `ramp.dev/revision` label. */
  revision: string;
  /** Its `ramp.dev/role` annotation, when it is one Ramp writes. */
  role?: ReplicaSetRole;
  /** Its `ramp.dev/rollout` annotation. */
  rolloutId?: string;
  /** Its `ramp.dev/routing` annotation (a new revision's). */
  routing?: string;
  /** spec.replicas (unset means 1). */
  replicas: number;
  status: { replicas: number; readyReplicas: number; availableReplicas: number };
  generation: number;
  observedGeneration: number;
  template: V1PodTemplateSpec;
  /** ISO 8601. */
  createdAt: string;
  resourceVersion: string;
}

/** A Service's routing-relevant part. */
export interface ObservedService {
  name: string;
  selector: Record<string, string>;
  ports: { name?: string; port: number; targetPort?: number | string }[];
}

/** The app in the cluster at one moment. */
export interface Observed {
  namespace: string;
  app: string;
  /** Oldest first, then by name (creation times have one-second resolution), so the order is stable between reads. */
  replicaSets: ObservedReplicaSet[];
  /** The Services read, by role (`<service>`, `<service>-canary`, `<service>-preview`); absent when not there. */
  services: Partial<Record<RevisionRole, ObservedService>>;
  /** The app's pods by revision, those being deleted left out. */
  pods: Record<string, PodSummary[]>;
  /** How many of each revision's pods are being deleted but still there. */
  terminating: Record<string, number>;
  /** The Deployment an adoption or a release hands the app over with, when one was asked for and exists. */
  deployment?: ObservedDeployment;
  /** Epoch ms when the reads were sent. */
  observedAt: number;
}

/** What to observe. */
export interface ObserveTarget {
  namespace: string;
  app: string;
  /** The Services to read, by role. */
  services: Partial<Record<RevisionRole, string>>;
  /** A Deployment to read too (only while an adoption or a release needs it). */
  deployment?: string;
}

function createdAt(rs: V1ReplicaSet): string {
  const t = rs.metadata?.creationTimestamp as Date | string | undefined;
  if (t instanceof Date) return t.toISOString();
  return t ?? '';
}

/** The summary of one ReplicaSet read back, pure. */
export function toObservedReplicaSet(rs: V1ReplicaSet): ObservedReplicaSet {
  const annotations = rs.metadata?.annotations ?? {};
  const role = annotations[ANNOTATIONS.role];
  return {
    name: rs.metadata?.name ?? '',
    ...(rs.metadata?.uid ? { uid: rs.metadata.uid } : {}),
    revision: rs.metadata?.labels?.[LABELS.revision] ?? '',
    role: isReplicaSetRole(role) ? role : undefined,
    rolloutId: annotations[ANNOTATIONS.rollout],
    routing: annotations[ANNOTATIONS.routing],
    replicas: rs.spec?.replicas ?? 1,
    status: {
      replicas: rs.status?.replicas ?? 0,
      readyReplicas: rs.status?.readyReplicas ?? 0,
      availableReplicas: rs.status?.availableReplicas ?? 0,
    },
    generation: rs.metadata?.generation ?? 0,
    observedGeneration: rs.status?.observedGeneration ?? 0,
    template: rs.spec?.template ?? {},
    createdAt: createdAt(rs),
    resourceVersion: rs.metadata?.resourceVersion ?? '',
  };
}

/** The summary of a Service read back, pure. */
export function toObservedService(svc: V1Service): ObservedService {
  return {
    name: svc.metadata?.name ?? '',
    selector: { ...svc.spec?.selector },
    ports: (svc.spec?.ports ?? []).map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort })),
  };
}

/** Reads the app's ReplicaSets and its Services (one list and a get per Service, in parallel). */
export async function observe(client: KubeClient, target: ObserveTarget): Promise<Observed> {
  const { namespace, app } = target;
  const observedAt = Date.now();
  const roles = Object.entries(target.services) as [RevisionRole, string][];
  const [list, pods, deployment, ...services] = await Promise.all([
    client.call('list', 'replicasets', (o) =>
      client.apps.listNamespacedReplicaSet({ namespace, labelSelector: appSelector(app) }, o),
    ),
    listAppPods(client, namespace, app),
    target.deployment === undefined ? undefined : readDeployment(client, namespace, target.deployment, { pods: true }),
    ...roles.map(([, name]) => readService(client, namespace, name)),
  ]);
  const replicaSets = list.items
    .map(toObservedReplicaSet)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  const byRole: Partial<Record<RevisionRole, ObservedService>> = {};
  roles.forEach(([role], i) => {
    const svc = services[i];
    if (svc) byRole[role] = toObservedService(svc);
  });
  return {
    namespace,
    app,
    replicaSets,
    services: byRole,
    pods: Object.fromEntries(pods.byRevision),
    terminating: Object.fromEntries(pods.terminating),
    ...(deployment ? { deployment } : {}),
    observedAt,
  };
}

/** The observed ReplicaSet of a revision, if any. */
export function replicaSetOf(observed: Observed, revision: string): ObservedReplicaSet | undefined {
  return observed.replicaSets.find((rs) => rs.revision === revision);
}

/** Whether the ReplicaSet controller has seen the latest spec and every desired pod is ready. */
export function isFullyReady(rs: ObservedReplicaSet): boolean {
  return (
    rs.observedGeneration >= rs.generation &&
    rs.status.readyReplicas >= rs.replicas &&
    rs.status.replicas === rs.replicas
  );
}
