/**
 * The ReplicaSet controller, as kube-controller-manager's: keeps spec.replicas active pods from the
 * template (adopting matching orphans, deleting the least useful pods first), and reports replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas and the ReplicaFailure condition.
 */
import type { ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1';
import { nowTimestamp } from '../apiServer/registry';
import { resource } from '../apiServer/resources';
import { fromLabelSelector, matchesLabels } from '../apiServer/selectors';
import { StatusError } from '../apiServer/statusError';
import { clone, type KubeObject } from '../apiServer/types';
import { claimObjects } from './claim';
import { Controller, splitKey, type ControllerOptions } from './controller';
import { canonicalJson } from './deploymentUtil';
import { EventRecorder } from './eventRecorder';
import {
  asKind,
  controllerOf,
  controllerRef,
  isDeleting,
  isNamespaceTerminating,
  keyOf,
  type PodObject,
  type ReplicaSetObject,
} from './objects';
import { isPodActive, isPodAvailable, isPodReady, readySince } from './podState';

const REPLICASETS = resource('replicasets');
const PODS = resource('pods');

/** The most pods one reconcile creates or deletes (Kubernetes' burstReplicas). */
const BURST_REPLICAS = 500;
const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/**
 * Orders pods from the one to delete first: unscheduled before scheduled, Pending before Unknown
 * before Running, not ready before ready, lower deletion cost first, ready for less time first, more
 * restarts first, newer first — Kubernetes' ActivePods ranking.
 */
export function deletionOrder(a: PodObject, b: PodObject): number {
  const scheduled = (p: PodObject): number => (p.spec?.nodeName ? 1 : 0);
  const phaseRank = (p: PodObject): number =>
    ({ Pending: 0, Unknown: 1, Running: 2 })[p.status?.phase ?? 'Pending'] ?? 0;
  const ready = (p: PodObject): number => (isPodReady(p) ? 1 : 0);
  const cost = (p: PodObject): number => Number(p.metadata.annotations?.[DELETION_COST_ANNOTATION] ?? 0) || 0;
  const restarts = (p: PodObject): number =>
    (p.status?.containerStatuses ?? []).reduce((m, c) => Math.max(m, c.restartCount ?? 0), 0);
  const created = (p: PodObject): number => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  return (
    scheduled(a) - scheduled(b) ||
    phaseRank(a) - phaseRank(b) ||
    ready(a) - ready(b) ||
    cost(a) - cost(b) ||
    (ready(a) && ready(b) ? (readySince(b) ?? 0) - (readySince(a) ?? 0) : 0) ||
    restarts(b) - restarts(a) ||
    created(b) - created(a)
  );
}

export class ReplicaSetController extends Controller {
  readonly name = 'replicaset-controller';
  private readonly recorder: EventRecorder;
  /** Pod key → the ReplicaSet key it last belonged to, to wake an owner that lost it. */
  private readonly podOwner = new Map<string, string>();

  constructor(opts: ControllerOptions) {
    super(opts);
    this.recorder = new EventRecorder(opts.registry, this.name);
  }

  protected setup(): void {
    this.watch(REPLICASETS, (e) => {
      if (e.type !== 'DELETED') this.queue.add(keyOf(e.object));
    });
    this.watch(PODS, (e) => this.onPod(e.type, e.object));
  }

  protected resyncKeys(): Iterable<string> {
    return this.registry.list(REPLICASETS).items.map(keyOf);
  }

  private onPod(type: string, pod: KubeObject): void {
    const key = keyOf(pod);
    const ref = controllerOf(pod);
    const owner = ref?.kind === 'ReplicaSet' ? `${pod.metadata.namespace}/${ref.name}` : undefined;
    const previous = this.podOwner.get(key);
    if (previous && previous !== owner) this.queue.add(previous);
    if (type === 'DELETED' || !owner) this.podOwner.delete(key);
    else this.podOwner.set(key, owner);
    if (owner) return this.queue.add(owner);
    if (ref || type === 'DELETED') return;
    for (const rs of this.registry.list(REPLICASETS, { namespace: pod.metadata.namespace }).items) {
      const sel = fromLabelSelector(asKind<ReplicaSetObject>(rs).spec.selector);
      if (sel.length > 0 && matchesLabels(sel, pod.metadata.labels)) this.queue.add(keyOf(rs));
    }
  }

  protected sync(key: string): void {
    const [ns, name] = splitKey(key);
    const stored = this.registry.tryGet(REPLICASETS, ns, name);
    if (!stored) return;
    const rs = asKind<ReplicaSetObject>(stored);
    const selector = fromLabelSelector(rs.spec.selector);
    if (selector.length === 0) return;
    const claim = (): PodObject[] =>
      claimObjects({
        registry: this.registry,
        type: PODS,
        owner: rs,
        ownerType: REPLICASETS,
        selector,
        candidates: this.registry.list(PODS, { namespace: ns }).items,
      })
        .map((p) => asKind<PodObject>(p))
        .filter(isPodActive);
    let failure: string | undefined;
    // A ReplicaSet being deleted makes no pods: the garbage collector (or namespace controller) is removing them.
    if (!isDeleting(rs) && !isNamespaceTerminating(this.registry, ns)) failure = this.manageReplicas(rs, claim());
    const pods = claim();
    const status = this.calculateStatus(rs, pods, failure);
    if (canonicalJson(status) !== canonicalJson(rs.status ?? {})) {
      this.registry.update(REPLICASETS, ns, name, { ...clone(rs), status }, { subresource: 'status' });
    }
    const minReady = rs.spec.minReadySeconds ?? 0;
    // Pods ready but not yet available become available with time alone, which no watch reports.
    if (minReady > 0 && (status.readyReplicas ?? 0) > (status.availableReplicas ?? 0))
      this.queue.addAfter(key, minReady * 1000);
  }

  /** Creates or deletes pods towards spec.replicas; answers a creation failure's message, if any. */
  private manageReplicas(rs: ReplicaSetObject, pods: PodObject[]): string | undefined {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    if (diff < 0) return this.createPods(rs, Math.min(-diff, BURST_REPLICAS));
    if (diff > 0) this.deletePods(rs, [...pods].sort(deletionOrder).slice(0, Math.min(diff, BURST_REPLICAS)));
    return undefined;
  }

  private createPods(rs: ReplicaSetObject, n: number): string | undefined {
    const template = rs.spec.template ?? {};
    for (let i = 0; i < n; i++) {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${rs.metadata.name}-`,
          namespace: rs.metadata.namespace,
          labels: { ...(template.metadata?.labels ?? {}) },
          ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
          ownerReferences: [controllerRef(rs, REPLICASETS)],
        },
        spec: clone(template.spec ?? { containers: [] }),
      };
      try {
        const created = this.createWithRetry(rs.metadata.namespace ?? '', pod);
        this.recorder.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.recorder.record(rs, 'Warning', 'FailedCreate', `Error creating: ${msg}`);
        return msg;
      }
    }
    return undefined;
  }

  /** A random name can collide with an existing pod; another draw is all it takes. */
  private createWithRetry(ns: string, pod: object): KubeObject {
    for (let attempt = 0; ; attempt++) {
      try {
        return this.registry.create(PODS, ns, pod).object;
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'AlreadyExists' || attempt >= 3) throw e;
      }
    }
  }

  private deletePods(rs: ReplicaSetObject, victims: PodObject[]): void {
    for (const pod of victims) {
      try {
        this.registry.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
          preconditions: { uid: pod.metadata.uid },
        });
        this.recorder.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (e) {
        if (!(e instanceof StatusError) || e.reason !== 'NotFound') throw e;
      }
    }
  }

  private calculateStatus(rs: ReplicaSetObject, pods: PodObject[], failure: string | undefined): ReplicaSetStatus {
    const templateLabels = rs.spec.template?.metadata?.labels ?? {};
    const minReady = rs.spec.minReadySeconds ?? 0;
    const now = Date.now();
    const status: ReplicaSetStatus = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter((p) =>
        Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
      ).length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation,
    };
    const conditions = (rs.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
    const previous = (rs.status?.conditions ?? []).find((c) => c.type === 'ReplicaFailure');
    if (failure !== undefined) {
      const cond: ReplicaSetCondition = {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: failure,
        lastTransitionTime: previous?.lastTransitionTime ?? nowTimestamp(now),
      };
      conditions.push(previous && previous.message === failure ? previous : cond);
    }
    if (conditions.length > 0) status.conditions = conditions;
    return status;
  }
}
