/**
 * A new rollout's first look at the cluster: which revision is stable now, what the new version's
 * template is (the plan's, or the stable one with a new image), and its revision. Orphans — Ramp
 * ReplicaSets left running by a rollout whose record is gone — are reported here.
 */
import type { Observed, ObservedReplicaSet } from '../kube/observe';
import { LABELS, OLD_ROLE, userTemplate } from '../kube/names';
import { podTemplateSchema, type Plan, type PodTemplate } from '../plan/schema';
import { revisionOf, templateWithImage } from '../plan/revision';
import type { RolloutEvent, RolloutRecord } from './record';
import { podPolicyRefusal } from '../policy/enforce';
import type { PodPolicy } from '../policy/podPolicy';
import { adoptionPlan, releasePlan } from './resolveHandover';

/** The stable ReplicaSet: the one the stable Service selects, else the ready-most one marked stable. */
export function findStable(observed: Observed): ObservedReplicaSet | undefined {
  const selected = observed.services.stable?.selector[LABELS.revision];
  const live = observed.replicaSets.filter((rs) => rs.replicas > 0 || rs.status.readyReplicas > 0);
  const bySelector = selected ? live.find((rs) => rs.revision === selected) : undefined;
  if (bySelector) return bySelector;
  return live.filter((rs) => rs.role === 'stable').sort((a, b) => b.status.readyReplicas - a.status.readyReplicas)[0];
}

export type Resolution =
  | { ok: true; record: RolloutRecord; events: RolloutEvent[] }
  | { ok: false; record: RolloutRecord; events: RolloutEvent[] };

/** Fills in revisions and templates for a Pending record, or fails it with a message saying why. */
/** The rollout failed to start, saying why. */
function failed(record: RolloutRecord, message: string, now: number): Resolution {
  return {
    ok: false,
    record: { ...record, phase: 'Failed', outcome: 'failed', message },
    events: [{ at: now, type: 'Failed', message, phase: 'Failed' }],
  };
}

/** The new version's template: the plan's, or the stable one with the plan's image (a message when it cannot be made). */
function newTemplate(plan: Plan, stableTemplate: PodTemplate | undefined, app: string): PodTemplate | string {
  if (plan.spec.template) return plan.spec.template;
  if (!stableTemplate)
    return `${app} has no stable revision to take the template from: give spec.template instead of spec.image for a first deploy`;
  const t = templateWithImage(stableTemplate, plan.spec.image ?? '');
  return typeof t === 'string' ? `spec.image: ${t}` : t;
}

/** Fills in revisions and templates for a Pending record, or fails it with a message saying why. */
export function resolveRevisions(
  plan: Plan,
  record: RolloutRecord,
  observed: Observed,
  now: number,
  podPolicy?: PodPolicy,
): Resolution {
  const stable = findStable(observed);
  const events: RolloutEvent[] = [];
  let stableTemplate: PodTemplate | undefined;
  const adopt = adoptionPlan(plan, observed, stable, podPolicy);
  if (adopt.kind === 'fail') return failed(record, adopt.message, now);
  if (adopt.kind === 'adopt') stableTemplate = adopt.template;
  else if (stable) {
    const parsed = podTemplateSchema.safeParse(userTemplate(stable.template));
    if (!parsed.success)
      return failed(
        record,
        `the stable ReplicaSet ${stable.name} has a pod template Ramp cannot read: ${parsed.error.issues[0]?.message}`,
        now,
      );
    stableTemplate = parsed.data;
  }
  const template = newTemplate(plan, stableTemplate, record.app);
  if (typeof template === 'string') return failed(record, template, now);
  const refused = podPolicy && podPolicyRefusal(podPolicy, record.namespace, template);
  if (refused) return failed(record, refused, now);
  const rev = revisionOf(template);
  for (const rs of observed.replicaSets) {
    // A previous stable waiting out its scale-down delay (annotated old once another is stable, or stable
    // by an older Ramp) is expected; a canary left running is an orphan.
    const previous = rs.role === 'stable' || rs.role === OLD_ROLE;
    if (rs.revision !== rev && rs.revision !== stable?.revision && rs.replicas > 0 && !previous) {
      events.push({
        at: now,
        type: 'Warning',
        message: `found ReplicaSet ${rs.name} (revision ${rs.revision}${rs.rolloutId ? `, rollout ${rs.rolloutId}` : ''}) still running without a rollout: scaling it down`,
      });
    }
  }
  const adopted = adopt.kind === 'adopt';
  const next: RolloutRecord = {
    ...record,
    template,
    stableTemplate,
    revisions: { stable: adopted ? adopt.revision : stable?.revision, new: rev },
    firstDeploy: stable === undefined && !adopted,
    ...(adopted ? { adoption: { deployment: adopt.deployment, replicas: adopt.replicas, stage: 'scaleUp' } } : {}),
  };
  return { ok: true, record: next, events };
}

/** Fills in what a Pending release hands back (the Deployment's size, the stable template), or fails it saying why. */
export function resolveRelease(record: RolloutRecord, observed: Observed, now: number): Resolution {
  const r = releasePlan(record, observed, findStable(observed));
  return r.ok ? { ok: true, record: r.record, events: [] } : failed(record, r.message, now);
}
