/**
 * An in-process cluster for controller tests: a Registry, the controller manager, and object builders.
 */
import { ObjectStore } from '../../../src/apiServer/store';
import { Registry } from '../../../src/apiServer/registry';
import { resource } from '../../../src/apiServer/resources';
import type { KubeObject } from '../../../src/apiServer/types';
import { ControllerManager } from '../../../src/controllers/controllerManager';
import { waitFor } from '../../../src/util/ports';

export const T = {
  pods: resource('pods'),
  replicasets: resource('replicasets'),
  deployments: resource('deployments'),
  services: resource('services'),
  endpoints: resource('endpoints'),
  endpointslices: resource('endpointslices'),
  events: resource('events'),
  namespaces: resource('namespaces'),
  configmaps: resource('configmaps'),
};

export interface TestCluster {
  registry: Registry;
  manager: ControllerManager;
  errors: string[];
  close(): Promise<void>;
}

/** A registry with every controller running. */
export function startCluster(resyncMs = 500): TestCluster {
  const registry = new Registry(new ObjectStore());
  const errors: string[] = [];
  const manager = new ControllerManager({
    registry,
    resyncMs,
    onError: (c, key, err) => {
      errors.push(`${c} ${key}: ${err instanceof Error ? err.message : String(err)}`);
    },
  });
  manager.start();
  return { registry, manager, errors, close: () => manager.close() };
}

/** Waits for a condition (in-process controllers converge within a few event-loop turns). */
export function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return waitFor(check, what, timeoutMs, 10);
}

export function podTemplate(labels: Record<string, string>, image: string): object {
  return {
    metadata: { labels },
    spec: { containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
  };
}

export function replicaSetBody(name: string, replicas: number, image = 'ramp.dev/demo-app:1'): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }, image) },
  };
}

export interface DeploymentBodyOptions {
  replicas?: number;
  image?: string;
  strategy?: object;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  minReadySeconds?: number;
}

export function deploymentBody(name: string, o: DeploymentBodyOptions = {}): object {
  const spec: Record<string, unknown> = {
    replicas: o.replicas ?? 3,
    selector: { matchLabels: { app: name } },
    template: podTemplate({ app: name }, o.image ?? 'ramp.dev/demo-app:1'),
  };
  if (o.strategy) spec.strategy = o.strategy;
  if (o.revisionHistoryLimit !== undefined) spec.revisionHistoryLimit = o.revisionHistoryLimit;
  if (o.progressDeadlineSeconds !== undefined) spec.progressDeadlineSeconds = o.progressDeadlineSeconds;
  if (o.minReadySeconds !== undefined) spec.minReadySeconds = o.minReadySeconds;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec };
}

/** Pods in a namespace (optionally only those controlled by `ownerUid`). */
export function podsOf(registry: Registry, ns: string, ownerUid?: string): readonly KubeObject[] {
  return registry
    .list(T.pods, { namespace: ns })
    .items.filter(
      (p) => !ownerUid || (p.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid && r.controller),
    );
}

/** ReplicaSets controlled by a deployment. */
export function replicaSetsOf(registry: Registry, ns: string, deploymentUid: string): KubeObject[] {
  return registry
    .list(T.replicasets, { namespace: ns })
    .items.filter((rs) => (rs.metadata.ownerReferences ?? []).some((r) => r.uid === deploymentUid && r.controller));
}

type Counts = {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  observedGeneration?: number;
  fullyLabeledReplicas?: number;
  unavailableReplicas?: number;
};

/** The object's status as counts (absent fields read as undefined). */
export function statusOf(
  o: KubeObject | undefined,
): Counts & { conditions?: { type: string; status: string; reason?: string; message?: string }[] } {
  return (o?.status ?? {}) as Counts;
}

export function specReplicas(o: KubeObject): number {
  return (o.spec as { replicas?: number }).replicas ?? 1;
}

/** The rollout test `kubectl rollout status` applies: true once it would print "successfully rolled out". */
export function rolloutComplete(d: KubeObject | undefined): boolean {
  if (!d) return false;
  const s = statusOf(d);
  const want = specReplicas(d);
  const progressing = (s.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return false;
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
  );
}

export function annotation(o: KubeObject | undefined, key: string): string | undefined {
  return o?.metadata.annotations?.[key];
}

export function eventMessages(registry: Registry, ns: string, reason: string): string[] {
  return registry
    .list(T.events, { namespace: ns })
    .items.filter((e) => e.reason === reason)
    .map((e) => String(e.message));
}
