/**
 * The reconcile's part in handing an app over between a plain Deployment and Ramp (adoption, release):
 * which Deployment to read with the rest of the app, and the one write to it a record asks for — made
 * after the ReplicaSets and Services of the same reconcile, so the Deployment gives up its pods only
 * once what replaces them is in place (src/strategies/handover says when that is).
 */
import { ensureDeployment } from '../kube/deployments';
import type { Observed } from '../kube/observe';
import type { CompiledPlan } from '../plan/compile';
import { adoptionGoverns, deploymentTarget, isRelease } from '../strategies/handover';
import type { EngineDeps } from './deps';
import { isTerminal, type RolloutRecord } from './record';

/** The Deployment this reconcile must read: a release's, an adoption's under way, or the one a new rollout's plan adopts. */
export function handoverDeployment(record: RolloutRecord, plan: CompiledPlan): string | undefined {
  if (isTerminal(record.phase)) return undefined;
  if (isRelease(record)) return record.release.deployment;
  if (adoptionGoverns(record)) return record.adoption.deployment;
  return record.phase === 'Pending' ? plan.adopt?.deployment : undefined;
}

/** Brings the handover's Deployment where the committed record wants it; what changed, if anything. */
export async function applyHandover(
  deps: Pick<EngineDeps, 'kube'>,
  record: RolloutRecord,
  observed: Observed,
): Promise<string | undefined> {
  const want = deploymentTarget(record, observed.deployment);
  if (!want) return undefined;
  const r = await ensureDeployment(deps.kube, record.namespace, want.name, want.target);
  if (r !== 'updated') return undefined;
  const size = want.target.replicas === undefined ? 'annotated' : `scaled to ${want.target.replicas}`;
  return `deployment ${want.name} ${size}`;
}
