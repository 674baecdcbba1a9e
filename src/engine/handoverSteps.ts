/**
 * The reconcile's part in handing an app over between a plain Deployment and Ramp (adoption, release):
 * which Deployment to read with the rest of the app, and the writes a record asks for beyond its desired
 * state — the Deployment's size and annotations, and a release's narrowing of the stable Service to the
 * Deployment's pods — made after the ReplicaSets and Services of the same reconcile, so a side gives up
 * its pods only once what replaces them is in place (src/strategies/handover says when that is).
 */
import { ensureDeployment } from '../kube/deployments';
import type { Observed } from '../kube/observe';
import type { CompiledPlan } from '../plan/compile';
import { ensureService } from '../kube/services';
import { adoptionGoverns, deploymentTarget, isRelease, serviceTarget } from '../strategies/handover';
import { roleService, serviceIsAt } from './applyActions';
import type { EngineDeps } from './deps';
import { isTerminal, type RolloutRecord } from './record';

/** The Deployment this reconcile must read: a release's, an adoption's under way, or the one a new rollout's plan adopts. */
export function handoverDeployment(record: RolloutRecord, plan: CompiledPlan): string | undefined {
  if (isTerminal(record.phase)) return undefined;
  if (isRelease(record)) return record.release.deployment;
  if (adoptionGoverns(record)) return record.adoption.deployment;
  return record.phase === 'Pending' ? plan.adopt?.deployment : undefined;
}

/**
 * Brings the handover's Deployment where the committed record wants it, and the stable Service where a
 * release selects the Deployment's pods alone (a selector no revision names, so not in the desired
 * state's); what changed.
 */
export async function applyHandover(
  deps: Pick<EngineDeps, 'kube'>,
  plan: CompiledPlan,
  record: RolloutRecord,
  observed: Observed,
): Promise<string[]> {
  const changed: string[] = [];
  const selector = serviceTarget(plan, record, observed.deployment);
  if (selector && !serviceIsAt(observed.services.stable, selector, plan.service.port)) {
    const desired = roleService(plan, record, 'stable', selector);
    if ((await ensureService(deps.kube, desired)) !== 'unchanged')
      changed.push(`service ${desired.name} → deployment ${record.release?.deployment ?? ''} alone`);
  }
  const want = deploymentTarget(record, observed.deployment);
  if (!want) return changed;
  const r = await ensureDeployment(deps.kube, record.namespace, want.name, want.target);
  if (r !== 'updated') return changed;
  const size = want.target.replicas === undefined ? 'annotated' : `scaled to ${want.target.replicas}`;
  return [...changed, `deployment ${want.name} ${size}`];
}
