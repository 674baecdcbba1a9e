/**
 * Carries out planned cluster actions in order through the Kubernetes adapter. Actions whose result
 * is already what `observe()` saw are skipped without a request (invariant 5: a steady state costs
 * reads only); a shrink waits while its conditions do not hold — the router not confirming the traffic
 * has left (a "cannot tell" is accepted), or the replacement's pods not ready yet. An old revision's
 * demotion or deletion is made only if its ReplicaSet is still the version observed; one changed
 * meanwhile is left for a later look to decide on.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { LABELS, OLD_ROLE, replicaSetName } from '../kube/names';
import type { Observed, ObservedService } from '../kube/observe';
import { deleteReplicaSetIfUnchanged, ensureReplicaSet, scaleReplicaSet, setReplicaSetRole } from '../kube/replicaSets';
import type { RouterContext, TrafficRouter } from '../kube/routers/trafficRouter';
import { ensureService, type DesiredService } from '../kube/services';
import { enforceReplicaSetPodPolicy } from '../policy/enforce';
import type { CompiledPlan } from '../plan/compile';
import type { RevisionRole, ShrinkConstraint } from '../strategies/strategy';
import type { Traffic } from '../strategies/traffic';
import type { ClusterAction } from './actions';
import type { EngineDeps } from './deps';
import type { RolloutRecord } from './record';
import { routingNote } from './routingNote';

export interface ApplyContext {
  deps: EngineDeps;
  plan: CompiledPlan;
  record: RolloutRecord;
  observed: Observed;
  router: TrafficRouter;
  routerCtx: RouterContext;
  /** The traffic the router should be at for this record (what a `traffic` shrink condition checks). */
  target: Traffic;
  /** The router's answer for `target` from earlier in this reconcile, if it was asked. */
  verified?: boolean;
}

/** What applying did: writes made, and whether a shrink had to wait for its conditions. */
export interface ApplyResult {
  changed: string[];
  waited: boolean;
}

function selectorFor(plan: CompiledPlan, revision: string): Record<string, string> {
  return revision === '*' ? { ...plan.selector } : { ...plan.selector, [LABELS.revision]: revision };
}

function sameSelector(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  return !!a && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
}

function templateFor(record: RolloutRecord, revision: string): V1PodTemplateSpec {
  const t = revision === record.revisions.new ? record.template : record.stableTemplate;
  return (t ?? { spec: { containers: [] } }) as V1PodTemplateSpec;
}

/** The role's Service as Ramp writes it, selecting `selector`. */
export function roleService(
  plan: CompiledPlan,
  record: RolloutRecord,
  role: RevisionRole,
  selector: Record<string, string>,
): DesiredService {
  const template = record.template as V1PodTemplateSpec | null;
  const targetPort =
    plan.service.targetPort ?? template?.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? plan.service.port;
  return {
    namespace: plan.namespace,
    name: plan.service.names[role],
    selector,
    port: plan.service.port,
    targetPort,
    labels: { [LABELS.app]: plan.app },
  };
}

/** Whether the Service already selects exactly `selector` on the plan's port (then it is not written). */
export function serviceIsAt(
  current: ObservedService | undefined,
  selector: Record<string, string>,
  port: number,
): boolean {
  return !!current && sameSelector(current.selector, selector) && current.ports.some((p) => p.port === port);
}

async function ensureSvc(c: ApplyContext, role: RevisionRole, revision: string): Promise<string | undefined> {
  const selector = selectorFor(c.plan, revision);
  if (serviceIsAt(c.observed.services[role], selector, c.plan.service.port)) return undefined;
  const desired = roleService(c.plan, c.record, role, selector);
  const r = await ensureService(c.deps.kube, desired);
  return r === 'unchanged' ? undefined : `service ${desired.name} → ${revision}`;
}

/** Carries out `actions` in order; answers what changed and whether a shrink waited. */
export async function applyActions(c: ApplyContext, actions: readonly ClusterAction[]): Promise<ApplyResult> {
  const changed: string[] = [];
  let verified = c.verified;
  let waited = false;
  const rsOf = (revision: string) => c.observed.replicaSets.find((rs) => rs.revision === revision);
  // A shrink's conditions: the router confirms the target traffic (asked once, if it can tell), the replacement is ready.
  const holds = async (after: ShrinkConstraint | undefined): Promise<boolean> => {
    if (after?.ready && (rsOf(after.ready.revision)?.status.readyReplicas ?? 0) < after.ready.pods) return false;
    if (after?.traffic && verified === undefined && c.router.capabilities.verify)
      verified = await c.router.verify(c.routerCtx, c.target);
    return !(after?.traffic && verified === false);
  };
  for (const a of actions) {
    switch (a.kind) {
      case 'ensureService': {
        const change = await ensureSvc(c, a.role, a.revision);
        if (change) changed.push(change);
        break;
      }
      case 'scaleUp': {
        const rs = rsOf(a.revision);
        // A new revision carries how to take its traffic away, should the record be lost.
        const routing = a.role === 'stable' ? undefined : routingNote(c.plan, c.record, c.routerCtx);
        const same = rs && rs.replicas === a.replicas && rs.role === a.role && rs.rolloutId === c.record.id;
        if (same && (routing === undefined || rs.routing === routing)) break;
        const template = templateFor(c.record, a.revision);
        if (!rs) enforceReplicaSetPodPolicy(c.deps.podPolicy, c.plan.namespace, template);
        const r = await ensureReplicaSet(c.deps.kube, {
          namespace: c.plan.namespace,
          app: c.plan.app,
          revision: a.revision,
          template,
          selector: c.plan.selector,
          replicas: a.replicas,
          role: a.role,
          rolloutId: c.record.id,
          routing,
        });
        if (r !== 'unchanged') changed.push(`${replicaSetName(c.plan.app, a.revision)} ${r} at ${a.replicas}`);
        break;
      }
      case 'route':
        await c.router.setTraffic(c.routerCtx, a.traffic);
        verified = await c.router.verify(c.routerCtx, a.traffic);
        break;
      case 'scaleDown': {
        if (!(await holds(a.after))) {
          waited = true;
          break;
        }
        const rs = rsOf(a.revision);
        if (!rs || rs.replicas === a.replicas) break;
        if ((await scaleReplicaSet(c.deps.kube, c.plan.namespace, rs.name, a.replicas)) === 'updated')
          changed.push(`${rs.name} scaled to ${a.replicas}`);
        break;
      }
      case 'demote':
        if ((await setReplicaSetRole(c.deps.kube, c.plan.namespace, a.name, OLD_ROLE, a.seen)) === 'updated')
          changed.push(`${a.name} role ${OLD_ROLE}`);
        break;
      case 'prune':
        if ((await deleteReplicaSetIfUnchanged(c.deps.kube, c.plan.namespace, a.name, a.seen)) === 'deleted')
          changed.push(`${a.name} deleted (beyond revisionHistoryLimit ${c.plan.revisionHistoryLimit})`);
        break;
    }
  }
  return { changed, waited };
}
