/**
 * One reconcile of one Deployment: the objects it works on and the writes it makes. Each write
 * replaces the object the context holds, so later steps of the same reconcile build on what was stored.
 */
import type { DeploymentStatus } from 'kubernetes-types/apps/v1';
import type { Registry } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { clone } from '../apiServer/types';
import {
  canonicalJson,
  maxSurge,
  replicasAnnotationsNeedUpdate,
  setReplicasAnnotations,
  specReplicas,
} from './deploymentUtil';
import type { EventRecorder } from './eventRecorder';
import { asKind, type DeploymentObject, type PodObject, type ReplicaSetObject } from './objects';

export const DEPLOYMENTS = resource('deployments');
export const REPLICASETS = resource('replicasets');
export const PODS = resource('pods');

export class DeploymentContext {
  constructor(
    readonly registry: Registry,
    readonly recorder: EventRecorder,
    /** The deployment as last stored. */
    public d: DeploymentObject,
    /** The ReplicaSets the deployment controls. */
    public rsList: ReplicaSetObject[],
    /** Pods of those ReplicaSets (the Recreate strategy waits for them to go). */
    readonly pods: readonly PodObject[],
    /** Asks for another reconcile of this deployment after `ms`. */
    readonly requeueAfter: (ms: number) => void,
    readonly now = Date.now(),
  ) {}

  get namespace(): string {
    return this.d.metadata.namespace ?? '';
  }

  /** The stored version of a ReplicaSet of this reconcile (it may have been written since it was read). */
  fresh(rs: ReplicaSetObject): ReplicaSetObject;
  fresh(rs: ReplicaSetObject | undefined): ReplicaSetObject | undefined;
  fresh(rs: ReplicaSetObject | undefined): ReplicaSetObject | undefined {
    if (!rs) return undefined;
    const stored = this.registry.tryGet(REPLICASETS, this.namespace, rs.metadata.name ?? '');
    return stored && stored.metadata.uid === rs.metadata.uid ? asKind<ReplicaSetObject>(stored) : rs;
  }

  /** Writes a ReplicaSet (compare-and-set) and remembers the stored result. */
  writeReplicaSet(rs: ReplicaSetObject): ReplicaSetObject {
    const stored = asKind<ReplicaSetObject>(
      this.registry.update(REPLICASETS, this.namespace, rs.metadata.name ?? '', rs).object,
    );
    this.rsList = this.rsList.map((x) => (x.metadata.uid === stored.metadata.uid ? stored : x));
    return stored;
  }

  /** Writes the deployment's status unless it is already what is stored. */
  writeStatus(status: DeploymentStatus): void {
    if (canonicalJson(status) === canonicalJson(this.d.status ?? {})) return;
    this.d = asKind<DeploymentObject>(
      this.registry.update(
        DEPLOYMENTS,
        this.namespace,
        this.d.metadata.name ?? '',
        { ...this.d, status },
        { subresource: 'status' },
      ).object,
    );
  }

  /** A copy of the deployment's status to change and hand to `writeStatus`. */
  statusCopy(): DeploymentStatus {
    return clone(this.d.status ?? {});
  }

  /** Sets the deployment's revision annotation (a metadata write, apart from status) when it differs. */
  setRevision(revision: number): void {
    if (this.d.metadata.annotations?.['deployment.kubernetes.io/revision'] === String(revision)) return;
    const next = clone(this.d);
    next.metadata.annotations = {
      ...(next.metadata.annotations ?? {}),
      'deployment.kubernetes.io/revision': String(revision),
    };
    this.d = asKind<DeploymentObject>(
      this.registry.update(DEPLOYMENTS, this.namespace, next.metadata.name ?? '', next).object,
    );
  }

  /** Scales a ReplicaSet whose size differs from `newScale` (nothing otherwise, annotations included). */
  scaleIfResized(rs: ReplicaSetObject, newScale: number): { scaled: boolean; rs: ReplicaSetObject } {
    const current = this.fresh(rs);
    if (specReplicas(current) === newScale) return { scaled: false, rs: current };
    return this.scale(current, newScale);
  }

  /**
   * Scales a ReplicaSet (and brings its replica annotations up to date), recording a ScalingReplicaSet
   * event when the size changed. Answers whether it scaled, and the stored ReplicaSet.
   */
  scale(rs: ReplicaSetObject, newScale: number, operation?: 'up' | 'down'): { scaled: boolean; rs: ReplicaSetObject } {
    const current = this.fresh(rs);
    const oldScale = specReplicas(current);
    const sizeNeedsUpdate = oldScale !== newScale;
    const desired = specReplicas(this.d);
    const max = desired + maxSurge(this.d);
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(current, desired, max))
      return { scaled: false, rs: current };
    const copy = clone(current);
    copy.spec.replicas = newScale;
    setReplicasAnnotations(copy, desired, max);
    const stored = this.writeReplicaSet(copy);
    if (sizeNeedsUpdate) {
      const op = operation ?? (newScale > oldScale ? 'up' : 'down');
      this.recorder.record(
        this.d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${op} replica set ${stored.metadata.name} from ${oldScale} to ${newScale}`,
      );
    }
    return { scaled: sizeNeedsUpdate, rs: stored };
  }
}
