/**
 * A new rollout's first look when a Deployment is involved: whether a plan's `spec.adopt` takes the
 * Deployment over now (the app has no stable revision of Ramp's, or only the one made from it by an
 * adoption that did not finish), and what a release hands back (the Deployment Ramp adopted, its size,
 * and the stable revision whose template it gets). Pure: the cluster as observe() read it.
 */
import type { ObservedDeployment } from '../kube/deploymentState';
import { hasLabels } from '../kube/labelSelectors';
import { isRampLabel, userTemplate } from '../kube/names';
import type { Observed, ObservedReplicaSet } from '../kube/observe';
import { revisionOf } from '../plan/revision';
import { podTemplateSchema, type Plan, type PodTemplate } from '../plan/schema';
import { podPolicyRefusal } from '../policy/enforce';
import type { PodPolicy } from '../policy/podPolicy';
import type { RolloutRecord } from './record';

/** What a plan's `spec.adopt` means for this rollout. */
export type AdoptionPlan =
  | { kind: 'none' }
  | { kind: 'fail'; message: string }
  | { kind: 'adopt'; deployment: string; replicas: number; template: PodTemplate; revision: string };

/** The Deployment's pod template as Ramp's stable revision would have it, or why it cannot. */
function adoptedTemplate(dep: ObservedDeployment, selector: Readonly<Record<string, string>>): PodTemplate | string {
  const ramp = Object.keys(dep.podLabels).filter(isRampLabel);
  if (ramp.length)
    return `its pods carry Ramp's own labels (${ramp.join(', ')}), which Ramp's revisions set: remove them from its pod template`;
  if (!hasLabels(dep.podLabels, selector)) {
    const missing = Object.entries(selector).filter(([k, v]) => dep.podLabels[k] !== v);
    return `its pod template lacks the plan's selector labels ${missing.map(([k, v]) => `${k}: ${v}`).join(', ')}: Ramp's stable ReplicaSet is made from that template and must match spec.selector`;
  }
  const parsed = podTemplateSchema.safeParse(userTemplate(dep.template));
  if (!parsed.success) return `Ramp cannot read its pod template: ${parsed.error.issues[0]?.message}`;
  return parsed.data;
}

/**
 * Whether to adopt: only when the plan names a Deployment that has pods and Ramp runs no other stable
 * revision. Once adopted (the Deployment at 0) or gone, the block changes nothing. A Deployment with pods
 * beside another stable revision of Ramp's is refused: two versions would serve with no one judging.
 */
export function adoptionPlan(
  plan: Plan,
  observed: Observed,
  stable: ObservedReplicaSet | undefined,
  podPolicy?: PodPolicy,
): AdoptionPlan {
  const name = plan.spec.adopt?.deployment;
  if (name === undefined) return { kind: 'none' };
  const dep = observed.deployment;
  const where = `Deployment ${name} in namespace ${plan.metadata.namespace}`;
  if (!dep || dep.replicas === 0) {
    if (stable) return { kind: 'none' };
    return {
      kind: 'fail',
      message: dep
        ? `spec.adopt: ${where} has 0 replicas, so there is nothing to adopt: remove spec.adopt to deploy from the plan alone`
        : `spec.adopt: ${where} does not exist`,
    };
  }
  const template = adoptedTemplate(dep, plan.spec.selector.matchLabels);
  if (typeof template === 'string') return { kind: 'fail', message: `spec.adopt: cannot adopt ${where}: ${template}` };
  const revision = revisionOf(template);
  // The stable ReplicaSet made from this very template by an adoption whose record went on no further.
  if (stable && stable.revision !== revision)
    return {
      kind: 'fail',
      message: `${where} still runs ${dep.replicas} pods beside Ramp's stable revision ${stable.revision}: scale it to 0, or hand the app back to it first (ramp release ${plan.metadata.name})`,
    };
  const refused = podPolicy && podPolicyRefusal(podPolicy, plan.metadata.namespace, template);
  if (refused) return { kind: 'fail', message: `spec.adopt: cannot adopt ${where}: ${refused}` };
  return { kind: 'adopt', deployment: name, replicas: dep.replicas, template, revision };
}

/** What a release resolves to: the Deployment's size to give back and the stable template it gets, or why it cannot start. */
export function releasePlan(
  record: RolloutRecord,
  observed: Observed,
  stable: ObservedReplicaSet | undefined,
): { ok: true; record: RolloutRecord } | { ok: false; message: string } {
  const name = record.release?.deployment ?? '';
  const dep = observed.deployment;
  if (!dep) return { ok: false, message: `release: Deployment ${name} does not exist; there is nothing to hand back` };
  if (!dep.adoptedBy?.startsWith(`${record.namespace}.${record.app}.`))
    return {
      ok: false,
      message: `release: Deployment ${name} is not adopted by a rollout of ${record.app} (no ramp.dev/adopted-by annotation of it); nothing to hand back`,
    };
  if (!dep.adoptedReplicas)
    return {
      ok: false,
      message: `release: Deployment ${name} has no size to go back to (its ramp.dev/adopted-replicas annotation is missing or not a whole number above 0); scale it and Ramp's ReplicaSets by hand`,
    };
  let template: PodTemplate | null = null;
  if (stable) {
    const parsed = podTemplateSchema.safeParse(userTemplate(stable.template));
    if (!parsed.success)
      return {
        ok: false,
        message: `release: the stable ReplicaSet ${stable.name} has a pod template Ramp cannot read: ${parsed.error.issues[0]?.message}`,
      };
    template = parsed.data;
  }
  const rev = stable?.revision;
  return {
    ok: true,
    record: {
      ...record,
      template,
      ...(template ? { stableTemplate: template } : {}),
      revisions: rev ? { stable: rev, new: rev } : { new: '' },
      release: { deployment: name, replicas: dep.adoptedReplicas, stage: 'scaleUp' },
    },
  };
}
