/**
 * Carries out planned cluster actions in order through the Kubernetes adapter. Actions whose result
 * is already what `observe()` saw are skipped without a request (invariant 5: a steady state costs
 * reads only); a canary scale-down waits when the router cannot confirm the traffic has left it.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { LABELS } from '../kube/names';
import type { Observed } from '../kube/observe';
import { ensureReplicaSet, scaleReplicaSet } from '../kube/replicaSets';
import { ensureService } from '../kube/services';
import type { RouterContext } from '../kube/routers/trafficRouter';
import { replicaSetName } from '../kube/names';
import type { CompiledPlan } from '../plan/compile';
import type { ClusterAction } from './actions';
import type { EngineDeps } from './deps';
import type { RolloutRecord } from './record';

export interface ApplyContext {
  deps: EngineDeps;
  plan: CompiledPlan;
  record: RolloutRecord;
  observed: Observed;
  routerCtx: RouterContext;
}

/** What applying did: writes made, and whether a step had to wait for the router. */
export interface ApplyResult {
  changed: string[];
  waitedOnRouter: boolean;
}

function selectorFor(plan: CompiledPlan, revision: string): Record<string, string> {
  return revision === '*' ? { ...plan.selector } : { ...plan.selector, [LABELS.revision]: revision };
}

function sameSelector(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  return !!a && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
}

function templateFor(record: RolloutRecord, revision: string): V1PodTemplateSpec {
  const t = revision === record.revisions.canary ? record.template : record.stableTemplate;
  return (t ?? { spec: { containers: [] } }) as V1PodTemplateSpec;
}

async function ensureSvc(
  c: ApplyContext,
  name: string,
  revision: string,
  current: Observed['service'],
): Promise<boolean> {
  const selector = selectorFor(c.plan, revision);
  if (current && sameSelector(current.selector, selector) && current.ports.some((p) => p.port === c.plan.service.port))
    return false;
  const targetPort =
    c.plan.service.targetPort ??
    (c.record.template as V1PodTemplateSpec | undefined)?.spec?.containers?.[0]?.ports?.[0]?.containerPort ??
    c.plan.service.port;
  const r = await ensureService(c.deps.kube, {
    namespace: c.plan.namespace,
    name,
    selector,
    port: c.plan.service.port,
    targetPort,
    labels: { [LABELS.app]: c.plan.app },
  });
  return r !== 'unchanged';
}

export async function applyActions(c: ApplyContext, actions: readonly ClusterAction[]): Promise<ApplyResult> {
  const changed: string[] = [];
  let routerOk: boolean | undefined;
  let waitedOnRouter = false;
  const rsOf = (revision: string) => c.observed.replicaSets.find((rs) => rs.revision === revision);
  for (const a of actions) {
    switch (a.kind) {
      case 'ensureStableService':
        if (await ensureSvc(c, c.plan.service.name, a.revision, c.observed.service))
          changed.push(`service ${c.plan.service.name} → ${a.revision}`);
        break;
      case 'ensureCanaryService':
        if (await ensureSvc(c, c.plan.service.canaryName, a.revision, c.observed.canaryService))
          changed.push(`service ${c.plan.service.canaryName} → ${a.revision}`);
        break;
      case 'scaleUp': {
        const rs = rsOf(a.revision);
        if (rs && rs.replicas === a.replicas && rs.role === a.role && rs.rolloutId === c.record.id) break;
        const r = await ensureReplicaSet(c.deps.kube, {
          namespace: c.plan.namespace,
          app: c.plan.app,
          revision: a.revision,
          template: templateFor(c.record, a.revision),
          selector: c.plan.selector,
          replicas: a.replicas,
          role: a.role,
          rolloutId: c.record.id,
        });
        if (r !== 'unchanged') changed.push(`${replicaSetName(c.plan.app, a.revision)} ${r} at ${a.replicas}`);
        break;
      }
      case 'route': {
        const router = c.deps.router(c.plan.router.kind);
        await router.setWeight(c.routerCtx, a.weight);
        routerOk = await router.verify(c.routerCtx, a.weight);
        break;
      }
      case 'scaleDown': {
        // The canary gives up pods only once the router confirms its traffic is gone ("cannot tell" is accepted).
        if (a.afterRoute && routerOk === false) {
          waitedOnRouter = true;
          break;
        }
        const rs = rsOf(a.revision);
        if (!rs || rs.replicas === a.replicas) break;
        if ((await scaleReplicaSet(c.deps.kube, c.plan.namespace, rs.name, a.replicas)) === 'updated')
          changed.push(`${rs.name} scaled to ${a.replicas}`);
        break;
      }
    }
  }
  return { changed, waitedOnRouter };
}
