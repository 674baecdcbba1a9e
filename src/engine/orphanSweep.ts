/**
 * Orphans found without a rollout (DESIGN §6, invariant 6). Should Ramp's records be lost (Redis
 * flushed), nothing would ever reconcile the rollouts that were under way, and a bad canary would go on
 * serving its share. Any worker, now and then, lists the ReplicaSets Ramp made; a new revision's that
 * still has pods while no active rollout owns its app is taken back, in the order a rollback keeps:
 * traffic to stable first (the router's reset, the stable Service's selector, stable at full size), then
 * the orphan's pods. Every step is idempotent, so workers sweeping at once do no harm.
 */
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { userMessage } from '../errors';
import { recordEvent } from '../kube/events';
import { LABELS } from '../kube/names';
import { toObservedReplicaSet, type ObservedReplicaSet } from '../kube/observe';
import { scaleReplicaSet } from '../kube/replicaSets';
import { createRouter } from '../kube/routers/registry';
import { readService, ensureService } from '../kube/services';
import { STABLE_ONLY } from '../strategies/traffic';
import type { EngineDeps } from './deps';
import { readRoutingNote, type RoutingNote } from './routingNote';

/** What a sweep did: orphans taken back, and those still waiting (stable not ready yet, the router not at stable). */
export interface OrphanSweepResult {
  cleaned: string[];
  waiting: string[];
}

interface Orphan {
  namespace: string;
  app: string;
  rs: ObservedReplicaSet;
  note?: RoutingNote;
}

async function listRampReplicaSets(deps: EngineDeps, namespaces?: readonly string[]): Promise<V1ReplicaSet[]> {
  const { kube } = deps;
  const labelSelector = LABELS.app;
  if (!namespaces) {
    const all = await kube.call('list', 'replicasets', (o) =>
      kube.apps.listReplicaSetForAllNamespaces({ labelSelector }, o),
    );
    return all.items;
  }
  const lists = await Promise.all(
    namespaces.map((namespace) =>
      kube.call('list', 'replicasets', (o) => kube.apps.listNamespacedReplicaSet({ namespace, labelSelector }, o)),
    ),
  );
  return lists.flatMap((l) => l.items);
}

/** New revisions (canary, preview) that still have pods, with the app they belong to. */
function candidates(items: readonly V1ReplicaSet[]): Orphan[] {
  return items.flatMap((item) => {
    const rs = toObservedReplicaSet(item);
    const app = item.metadata?.labels?.[LABELS.app];
    const namespace = item.metadata?.namespace;
    if (!app || !namespace || rs.replicas === 0 || (rs.role !== 'canary' && rs.role !== 'preview')) return [];
    return [{ namespace, app, rs, note: readRoutingNote(rs.routing) }];
  });
}

/**
 * Traffic back on stable: the router reset and verified, the stable Service selecting the stable revision
 * again (a blue-green switch caught halfway), and stable at full size and ready. False: not there yet.
 */
async function stableServes(deps: EngineDeps, o: Orphan): Promise<boolean> {
  const note = o.note;
  if (!note) return true;
  const ctx = { namespace: o.namespace, app: o.app, services: note.services, port: note.port };
  const router = createRouter(note.router, deps.kube);
  await router.reset(ctx);
  if ((await router.verify(ctx, STABLE_ONLY)) === false) return false;
  if (!note.stable) return true;
  const stableName = `${o.app}-${note.stable.revision}`;
  const svc = await readService(deps.kube, o.namespace, note.services.stable);
  const selected = svc?.spec?.selector?.[LABELS.revision];
  if (svc && selected === o.rs.revision) {
    const selector = { ...svc.spec?.selector, [LABELS.revision]: note.stable.revision };
    const port = svc.spec?.ports?.[0];
    await ensureService(deps.kube, {
      namespace: o.namespace,
      name: note.services.stable,
      selector,
      port: port?.port ?? note.port,
      targetPort: port?.targetPort ?? note.port,
    });
  }
  const stable = await deps.kube.readOrUndefined('replicasets', (opt) =>
    deps.kube.apps.readNamespacedReplicaSet({ name: stableName, namespace: o.namespace }, opt),
  );
  if (!stable) return true;
  if ((stable.spec?.replicas ?? 1) < note.stable.replicas)
    await scaleReplicaSet(deps.kube, o.namespace, stableName, note.stable.replicas);
  return (stable.status?.readyReplicas ?? 0) >= note.stable.replicas;
}

async function takeBack(deps: EngineDeps, o: Orphan, result: OrphanSweepResult): Promise<void> {
  // Re-checked right before acting: a rollout created meanwhile owns the app now.
  if (await deps.store.getActive(o.namespace, o.app)) return;
  if (!(await stableServes(deps, o))) {
    result.waiting.push(`${o.namespace}/${o.rs.name}`);
    return;
  }
  if (await deps.store.getActive(o.namespace, o.app)) return;
  await scaleReplicaSet(deps.kube, o.namespace, o.rs.name, 0);
  result.cleaned.push(`${o.namespace}/${o.rs.name}`);
  const message = `no rollout owns ${o.app}'s revision ${o.rs.revision} (its record${o.rs.rolloutId ? `, ${o.rs.rolloutId},` : ''} is gone): traffic back on stable, its pods scaled down`;
  deps.logger.warn({ namespace: o.namespace, replicaSet: o.rs.name, rolloutId: o.rs.rolloutId }, message);
  await recordEvent(deps.kube, {
    namespace: o.namespace,
    object: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.rs.name },
    type: 'Warning',
    reason: 'OrphanScaledDown',
    message,
  }).catch((err: unknown) => deps.logger.warn({ err }, 'could not record a Kubernetes event'));
}

/** One sweep over the ReplicaSets Ramp made (in `namespaces`, or all). */
export async function sweepOrphans(deps: EngineDeps, namespaces?: readonly string[]): Promise<OrphanSweepResult> {
  const result: OrphanSweepResult = { cleaned: [], waiting: [] };
  for (const o of candidates(await listRampReplicaSets(deps, namespaces))) {
    try {
      await takeBack(deps, o, result);
    } catch (err) {
      deps.logger.warn({ err, namespace: o.namespace, replicaSet: o.rs.name }, `orphan sweep: ${userMessage(err)}`);
      result.waiting.push(`${o.namespace}/${o.rs.name}`);
    }
  }
  return result;
}
