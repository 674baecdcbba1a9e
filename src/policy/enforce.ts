/**
 * Where the pod policy is enforced: on a plan at the API (422 naming each field), on the template a
 * worker resolved for a new rollout (the rollout fails, saying why), and on the template of a
 * ReplicaSet about to be created (PodPolicyError: nothing is created).
 */
import { PlanValidationError, PodPolicyError } from '../errors';
import type { Plan } from '../plan/schema';
import type { PodPolicy } from './podPolicy';

/** Where a plan's template is, as users write it. */
export const TEMPLATE_PATH = 'spec.template';

/** PlanValidationError listing what the policy of the plan's namespace refuses in its template (nothing for `image:` plans: their template is the cluster's, checked by the worker). */
export function enforcePlanPodPolicy(policy: PodPolicy, plan: Plan): void {
  if (!plan.spec.template) return;
  const problems = policy.check(plan.metadata.namespace, plan.spec.template, TEMPLATE_PATH);
  if (problems.length) throw new PlanValidationError(problems);
}

/** Why the policy refuses the template a worker resolved for a new rollout, or undefined when it does not. */
export function podPolicyRefusal(policy: PodPolicy, namespace: string, template: unknown): string | undefined {
  const problems = policy.check(namespace, template, TEMPLATE_PATH);
  if (!problems.length) return undefined;
  const { level } = policy.ruleFor(namespace);
  return `the pod policy of namespace ${namespace} (${level}) refuses the new pod template: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
}

/** Throws PodPolicyError when the policy refuses a template a ReplicaSet is about to be created from. */
export function enforceReplicaSetPodPolicy(policy: PodPolicy, namespace: string, template: unknown): void {
  const problems = policy.check(namespace, template, TEMPLATE_PATH);
  if (problems.length) throw new PodPolicyError(namespace, problems);
}
