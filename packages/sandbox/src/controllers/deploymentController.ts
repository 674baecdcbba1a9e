/**
 * The Deployment controller, as kube-controller-manager's: one ReplicaSet per pod template (named
 * `<deployment>-<pod-template-hash>`), RollingUpdate within maxSurge/maxUnavailable or Recreate,
 * revision annotations that `kubectl rollout history/undo` read, and the status and conditions that
 * `kubectl rollout status` waits on (including ProgressDeadlineExceeded).
 */
import type { ReplicaSetObject } from './objects';
import { fromLabelSelector, matchesLabels } from '../apiServer/selectors';
import { clone, type KubeObject } from '../apiServer/types';
import { Controller, splitKey, type ControllerOptions } from './controller';
import { claimObjects } from './claim';
import { DEPLOYMENTS, DeploymentContext, PODS, REPLICASETS } from './deploymentContext';
import { cleanupOldReplicaSets, replicaSetsAndSyncRevision } from './deploymentReplicaSets';
import {
  isScalingEvent,
  oldPodsRunning,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  scaleDeployment,
  scaleDownOldForRecreate,
} from './deploymentRollout';
import {
  calculateStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  mirrorReplicaFailure,
  newCondition,
  PROGRESSING,
  Reason,
  removeCondition,
  setCondition,
  stuckRecheckDelay,
} from './deploymentStatus';
import { specReplicas } from './deploymentUtil';
import { EventRecorder } from './eventRecorder';
import {
  asKind,
  controllerOf,
  isDeleting,
  isNamespaceTerminating,
  keyOf,
  type DeploymentObject,
  type PodObject,
} from './objects';

export class DeploymentController extends Controller {
  readonly name = 'deployment-controller';
  private readonly recorder: EventRecorder;
  /** ReplicaSet key → the deployment key it last belonged to, to wake an owner that lost it. */
  private readonly rsOwner = new Map<string, string>();

  constructor(opts: ControllerOptions) {
    super(opts);
    this.recorder = new EventRecorder(opts.registry, this.name);
  }

  protected setup(): void {
    this.watch(DEPLOYMENTS, (e) => {
      if (e.type !== 'DELETED') this.queue.add(keyOf(e.object));
    });
    this.watch(REPLICASETS, (e) => this.onReplicaSet(e.type, e.object));
    this.watch(PODS, (e) => {
      if (e.type === 'DELETED') this.onPodDeleted(e.object);
    });
  }

  protected resyncKeys(): Iterable<string> {
    return this.registry.list(DEPLOYMENTS).items.map(keyOf);
  }

  private onReplicaSet(type: string, rs: KubeObject): void {
    const key = keyOf(rs);
    const previous = this.rsOwner.get(key);
    const ref = controllerOf(rs);
    let owner: string | undefined;
    if (ref?.kind === 'Deployment') owner = `${rs.metadata.namespace}/${ref.name}`;
    if (previous && previous !== owner) this.queue.add(previous);
    if (type === 'DELETED') this.rsOwner.delete(key);
    else if (owner) this.rsOwner.set(key, owner);
    else this.rsOwner.delete(key);
    if (owner) return this.queue.add(owner);
    if (type === 'DELETED') return;
    // An orphan: every deployment whose selector matches may adopt it.
    for (const d of this.registry.list(DEPLOYMENTS, { namespace: rs.metadata.namespace }).items) {
      const sel = fromLabelSelector(asKind<DeploymentObject>(d).spec.selector);
      if (sel.length > 0 && matchesLabels(sel, rs.metadata.labels)) this.queue.add(keyOf(d));
    }
  }

  /** Recreate waits for old pods to be gone: a pod's removal may be what it waits for. */
  private onPodDeleted(pod: KubeObject): void {
    const ref = controllerOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.registry.tryGet(REPLICASETS, pod.metadata.namespace, ref.name);
    const dref = rs ? controllerOf(rs) : undefined;
    if (dref?.kind !== 'Deployment') return;
    const d = this.registry.tryGet(DEPLOYMENTS, pod.metadata.namespace, dref.name);
    if (d && asKind<DeploymentObject>(d).spec.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
  }

  protected sync(key: string): void {
    const [ns, name] = splitKey(key);
    const stored = this.registry.tryGet(DEPLOYMENTS, ns, name);
    if (!stored) return;
    const d = asKind<DeploymentObject>(stored);
    const selector = fromLabelSelector(d.spec.selector);
    if (selector.length === 0) return this.refuseSelectAll(d);
    const rsList = claimObjects({
      registry: this.registry,
      type: REPLICASETS,
      owner: d,
      ownerType: DEPLOYMENTS,
      selector,
      candidates: this.registry.list(REPLICASETS, { namespace: ns }).items,
    }).map((o) => asKind<ReplicaSetObject>(o));
    // Only Recreate looks at pods (it waits for the old ones to be gone).
    const uids = new Set(rsList.map((rs) => rs.metadata.uid));
    const pods =
      d.spec.strategy?.type === 'Recreate'
        ? this.registry
            .list(PODS, { namespace: ns })
            .items.filter((p) => uids.has(controllerOf(p)?.uid))
            .map((p) => asKind<PodObject>(p))
        : [];
    const ctx = new DeploymentContext(this.registry, this.recorder, d, rsList, pods, (ms) =>
      this.queue.addAfter(key, ms),
    );
    // Nothing can be created in a terminating namespace, and everything in it is about to go.
    if (isDeleting(d) || isNamespaceTerminating(this.registry, ns)) return this.syncStatusOnly(ctx);
    this.checkPausedConditions(ctx);
    if (ctx.d.spec.paused) return this.syncScale(ctx);
    const split = replicaSetsAndSyncRevision(ctx, false);
    if (
      isScalingEvent(
        ctx,
        [...split.oldRSs, split.newRS].map((rs) => ctx.fresh(rs)),
      )
    )
      return this.syncScale(ctx);
    if (ctx.d.spec.strategy?.type === 'Recreate') return this.rolloutRecreate(ctx);
    return this.rolloutRolling(ctx);
  }

  /** A deployment selecting every pod would fight every other controller: it is reported, not run. */
  private refuseSelectAll(d: DeploymentObject): void {
    this.recorder.record(
      d,
      'Warning',
      'SelectingAll',
      'This deployment is selecting all pods. A non-empty selector is required.',
    );
    if ((d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)) return;
    this.registry.update(
      DEPLOYMENTS,
      d.metadata.namespace,
      d.metadata.name ?? '',
      { ...clone(d), status: { ...(d.status ?? {}), observedGeneration: d.metadata.generation } },
      { subresource: 'status' },
    );
  }

  private rolloutRolling(ctx: DeploymentContext): void {
    const { newRS, oldRSs } = replicaSetsAndSyncRevision(ctx, true);
    if (!newRS) return;
    const all = (): ReplicaSetObject[] => [...oldRSs, newRS].map((rs) => ctx.fresh(rs));
    if (reconcileNewReplicaSet(ctx, all(), ctx.fresh(newRS)))
      return this.syncRolloutStatus(ctx, all(), ctx.fresh(newRS));
    if (
      reconcileOldReplicaSets(
        ctx,
        all(),
        oldRSs.map((rs) => ctx.fresh(rs)),
        ctx.fresh(newRS),
      )
    )
      return this.syncRolloutStatus(ctx, all(), ctx.fresh(newRS));
    if (deploymentComplete(ctx.d, ctx.d.status ?? {})) cleanupOldReplicaSets(ctx, oldRSs);
    this.syncRolloutStatus(
      ctx,
      all().filter((rs) => ctx.rsList.some((x) => x.metadata.uid === rs.metadata.uid)),
      ctx.fresh(newRS),
    );
  }

  private rolloutRecreate(ctx: DeploymentContext): void {
    let { newRS, oldRSs } = replicaSetsAndSyncRevision(ctx, false);
    const all = (): ReplicaSetObject[] => [...oldRSs, ...(newRS ? [newRS] : [])].map((rs) => ctx.fresh(rs));
    if (scaleDownOldForRecreate(ctx, oldRSs)) return this.syncRolloutStatus(ctx, all(), ctx.fresh(newRS));
    // No new pod may start while an old one still runs: that is what Recreate promises.
    if (oldPodsRunning(ctx, newRS, oldRSs)) return this.syncRolloutStatus(ctx, all(), ctx.fresh(newRS));
    if (!newRS) ({ newRS, oldRSs } = replicaSetsAndSyncRevision(ctx, true));
    if (newRS) ctx.scaleIfResized(newRS, specReplicas(ctx.d));
    if (deploymentComplete(ctx.d, ctx.d.status ?? {})) cleanupOldReplicaSets(ctx, oldRSs);
    this.syncRolloutStatus(
      ctx,
      all().filter((rs) => ctx.rsList.some((x) => x.metadata.uid === rs.metadata.uid)),
      ctx.fresh(newRS),
    );
  }

  /** Paused or scaled: size the ReplicaSets for spec.replicas without moving the rollout on. */
  private syncScale(ctx: DeploymentContext): void {
    const { newRS, oldRSs } = replicaSetsAndSyncRevision(ctx, false);
    scaleDeployment(ctx, newRS, oldRSs);
    if (ctx.d.spec.paused) cleanupOldReplicaSets(ctx, oldRSs);
    const all = [...oldRSs, ...(newRS ? [newRS] : [])]
      .map((rs) => ctx.fresh(rs))
      .filter((rs) => ctx.rsList.some((x) => x.metadata.uid === rs.metadata.uid));
    ctx.writeStatus(calculateStatus(all, ctx.fresh(newRS), ctx.d, ctx.now));
  }

  private syncStatusOnly(ctx: DeploymentContext): void {
    const { newRS, oldRSs } = replicaSetsAndSyncRevision(ctx, false);
    const all = [...oldRSs, ...(newRS ? [newRS] : [])].map((rs) => ctx.fresh(rs));
    ctx.writeStatus(calculateStatus(all, ctx.fresh(newRS), ctx.d, ctx.now));
  }

  /** Progressing becomes Unknown/DeploymentPaused while paused, and DeploymentResumed after. */
  private checkPausedConditions(ctx: DeploymentContext): void {
    if (!hasProgressDeadline(ctx.d)) return;
    const cond = getCondition(ctx.d.status, PROGRESSING);
    if (cond?.reason === Reason.ProgressDeadlineExceeded) return;
    const paused = Boolean(ctx.d.spec.paused);
    const status = ctx.statusCopy();
    if (paused && cond?.reason !== Reason.Paused) {
      setCondition(status, newCondition(PROGRESSING, 'Unknown', Reason.Paused, 'Deployment is paused', ctx.now));
    } else if (!paused && cond?.reason === Reason.Paused) {
      setCondition(status, newCondition(PROGRESSING, 'Unknown', Reason.Resumed, 'Deployment is resumed', ctx.now));
    } else return;
    ctx.writeStatus(status);
  }

  /** The status after a rollout step, with Progressing saying whether the rollout moves, finished or is stuck. */
  private syncRolloutStatus(
    ctx: DeploymentContext,
    allRSs: ReplicaSetObject[],
    newRS: ReplicaSetObject | undefined,
  ): void {
    const d = ctx.d;
    const next = calculateStatus(allRSs, newRS, d, ctx.now);
    if (!hasProgressDeadline(d)) removeCondition(next, PROGRESSING);
    const current = getCondition(d.status, PROGRESSING);
    const complete = next.replicas === next.updatedReplicas && current?.reason === Reason.NewReplicaSetAvailable;
    if (hasProgressDeadline(d) && !complete) {
      const what = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
      if (deploymentComplete(d, next)) {
        setCondition(
          next,
          newCondition(
            PROGRESSING,
            'True',
            Reason.NewReplicaSetAvailable,
            `${what} has successfully progressed.`,
            ctx.now,
          ),
        );
      } else if (deploymentProgressing(d, next)) {
        const cond = newCondition(PROGRESSING, 'True', Reason.ReplicaSetUpdated, `${what} is progressing.`, ctx.now);
        // Progress refreshes lastUpdateTime (the deadline's start) but is no transition.
        if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(next, PROGRESSING);
        setCondition(next, cond);
      } else if (deploymentTimedOut(d, next, ctx.now)) {
        setCondition(
          next,
          newCondition(
            PROGRESSING,
            'False',
            Reason.ProgressDeadlineExceeded,
            `${what} has timed out progressing.`,
            ctx.now,
          ),
        );
      }
    }
    mirrorReplicaFailure(next, allRSs);
    const before = ctx.d;
    ctx.writeStatus(next);
    if (ctx.d === before) {
      const delay = stuckRecheckDelay(d, next, ctx.now);
      if (delay !== undefined) ctx.requeueAfter(delay);
    }
  }
}
