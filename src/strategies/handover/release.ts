/**
 * Releasing an adopted app (`ramp release`), as pure record transitions and desired states: adoption
 * run backwards, with the same rule that clients always have ready pods behind the Service and that pods
 * leave the Service before they are asked to stop. The Deployment comes back at the size it had, running
 * the stable revision's pod template — a release hands back the version that serves now, never silently
 * the one adopted long ago. Once its pods are ready the stable Service selects them alone (the plan's
 * selector and their pod-template-hash), then Ramp's ReplicaSets go to 0, and last the Service selects the
 * plan's selector — which the Deployment's pods carry, as a Service in front of a plain Deployment does —
 * so its next rollout (a new pod-template-hash) stays behind it; Ramp's annotations come off.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import {
  deploymentReady,
  POD_TEMPLATE_HASH,
  type DeploymentTarget,
  type ObservedDeployment,
} from '../../kube/deploymentState';
import { selectorKeys } from '../../kube/labelSelectors';
import { DEPLOYMENT_ANNOTATIONS } from '../../kube/names';
import type { CompiledPlan } from '../../plan/compile';
import { formatDuration } from '../../plan/duration';
import type { PodTemplate } from '../../plan/schema';
import { isTerminal } from '../../engine/phase';
import type { Release, RolloutRecord } from '../../engine/record';
import { transition } from '../lifecycle';
import type { DesiredState, StrategyObserved, Transition } from '../strategy';

type R = RolloutRecord & { release: Release };

/** Whether this record is a release (which the strategy never decides for). */
export function isRelease(record: RolloutRecord): record is R {
  return record.release !== undefined;
}

function withStage(record: R, stage: Release['stage']): R {
  return { ...record, release: { ...record.release, stage } };
}

/** Every revision Ramp runs besides `keep` is at 0. */
function othersDown(observed: StrategyObserved, keep: string | undefined): boolean {
  return observed.revisions.every((r) => r.revision === keep || r.specReplicas === 0);
}

/** The stable Service's selector while Ramp's pods leave it: the Deployment's pods alone. */
export function narrowSelector(plan: CompiledPlan, podTemplateHash: string): Record<string, string> {
  return { ...plan.selector, [POD_TEMPLATE_HASH]: podTemplateHash };
}

function selects(observed: StrategyObserved, selector: Readonly<Record<string, string>>): boolean {
  const have = observed.serviceSelectors?.stable;
  return (
    !!have &&
    Object.keys(have).length === Object.keys(selector).length &&
    Object.entries(selector).every(([k, v]) => have[k] === v)
  );
}

function failed(record: R, message: string, now: number): Transition {
  const next = { ...withStage(record, 'failed'), progressDeadlineAt: undefined };
  return transition(next, { phase: 'Failed', outcome: 'failed', message }, 'Failed', now);
}

function scaleUp(plan: CompiledPlan, record: R, observed: StrategyObserved, now: number): Transition {
  const { deployment: d, replicas } = record.release;
  const dep = observed.deployment;
  if (!dep) return failed(record, `release failed: Deployment ${d} is gone; Ramp keeps serving the app`, now);
  const ready = dep.releasedBy === record.id && deploymentReady(dep, replicas) && dep.podTemplateHash !== undefined;
  if (ready && othersDown(observed, record.revisions.stable)) {
    const message = `releasing to Deployment ${d}: its ${replicas} pods are ready; pointing Service ${plan.service.name} at them alone`;
    return transition(withStage(record, 'narrow'), { message }, 'StepStarted', now);
  }
  if (record.progressDeadlineAt !== undefined && now >= record.progressDeadlineAt) {
    const within = formatDuration(plan.progressDeadlineMs);
    const message = `release failed: ${dep.readyReplicas}/${replicas} pods of Deployment ${d} ready within ${within}; scaling it back to 0 — Ramp keeps serving the app`;
    return transition(withStage(record, 'undo'), { phase: 'RollingBack', message }, 'RollingBack', now);
  }
  return { record, events: [] };
}

function describeLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** One reconcile's decision for a release. */
export function decideRelease(plan: CompiledPlan, record: R, observed: StrategyObserved, now: number): Transition {
  const { deployment: d, replicas, stage } = record.release;
  const dep = observed.deployment;
  if (isTerminal(record.phase)) return { record, events: [] };
  if (record.phase === 'Pending') {
    const from = record.revisions.stable ? ` with revision ${record.revisions.stable}'s pod template` : '';
    const message = `releasing ${record.app} to Deployment ${d}: scaling it back to ${replicas}${from}; Ramp serves until its pods are ready`;
    const changes = { phase: 'Progressing' as const, progressDeadlineAt: now + plan.progressDeadlineMs, message };
    return transition(record, changes, 'StepStarted', now);
  }
  switch (stage) {
    case 'scaleUp':
      return scaleUp(plan, record, observed, now);
    case 'narrow': {
      if (!dep?.podTemplateHash || !selects(observed, narrowSelector(plan, dep.podTemplateHash)))
        return { record, events: [] };
      const message = `releasing to Deployment ${d}: Service ${plan.service.name} selects its pods alone; scaling Ramp's ReplicaSets to 0`;
      return transition(withStage(record, 'scaleDown'), { message }, 'StepStarted', now);
    }
    case 'scaleDown': {
      if (!othersDown(observed, undefined)) return { record, events: [] };
      const message = `releasing to Deployment ${d}: Ramp's ReplicaSets are at 0; Service ${plan.service.name} goes back to ${describeLabels(plan.selector)}`;
      return transition(withStage(record, 'widen'), { message }, 'StepStarted', now);
    }
    case 'widen': {
      if (!selects(observed, plan.selector) || dep?.adoptedBy !== undefined) return { record, events: [] };
      const message = `released: Deployment ${d} serves ${record.app} (${replicas} replicas); Service ${plan.service.name} selects ${describeLabels(plan.selector)}; Ramp's ReplicaSets are at 0`;
      const next = { ...withStage(record, 'done'), progressDeadlineAt: undefined };
      return transition(next, { phase: 'Succeeded', outcome: 'released', message }, 'Released', now);
    }
    case 'undo': {
      if (dep && dep.replicas !== 0) return { record, events: [] };
      return failed(record, `release failed: Deployment ${d} is back at 0; Ramp keeps serving the app`, now);
    }
    default:
      return { record, events: [] };
  }
}

/**
 * The cluster a release asks for: the stable revision kept until its pods are out of the Service, then
 * nothing of Ramp's. (The Service's narrow selector, which no revision names, is releaseServiceTarget's.)
 */
export function desiredRelease(record: R): DesiredState {
  const { stage } = record.release;
  const keep = record.revisions.stable ? [record.revisions.stable] : [];
  const hold = { traffic: 'hold' as const, replicaSets: [] };
  if (stage === 'widen' || stage === 'done') return { ...hold, services: { stable: '*' } };
  if (stage === 'scaleDown') return { ...hold, services: {} };
  return { ...hold, services: {}, retain: keep };
}

/** The stable Service's selector the release writes itself (the Deployment's pods alone), when it is that stage. */
export function releaseServiceTarget(
  plan: CompiledPlan,
  record: R,
  dep: ObservedDeployment | undefined,
): Record<string, string> | undefined {
  const { stage } = record.release;
  if (isTerminal(record.phase) || (stage !== 'narrow' && stage !== 'scaleDown') || !dep?.podTemplateHash)
    return undefined;
  return narrowSelector(plan, dep.podTemplateHash);
}

/**
 * The Deployment's pod template for a release: the stable revision's, with the labels the Deployment's
 * own selector looks at kept as they were (else the Deployment would no longer own its pods) and its
 * other labels kept where the stable template does not set them. Pure.
 */
export function releaseTemplate(stable: PodTemplate, dep: ObservedDeployment): V1PodTemplateSpec {
  const own = Object.fromEntries(
    selectorKeys(dep.selector)
      .filter((k) => k in dep.podLabels)
      .map((k) => [k, dep.podLabels[k]]),
  );
  const labels = { ...dep.podLabels, ...stable.metadata?.labels, ...own };
  return { ...(stable as V1PodTemplateSpec), metadata: { ...stable.metadata, labels } };
}

/** What the Deployment should be at this stage of a release; undefined when nothing is asked of it. */
export function releaseDeploymentTarget(record: R, dep: ObservedDeployment | undefined): DeploymentTarget | undefined {
  if (isTerminal(record.phase) || record.phase === 'Pending') return undefined;
  switch (record.release.stage) {
    case 'scaleUp':
      return {
        replicas: record.release.replicas,
        annotations: { [DEPLOYMENT_ANNOTATIONS.releasedBy]: record.id },
        ...(record.template && dep ? { template: releaseTemplate(record.template, dep) } : {}),
      };
    case 'widen':
      return {
        annotations: { [DEPLOYMENT_ANNOTATIONS.adoptedBy]: null, [DEPLOYMENT_ANNOTATIONS.adoptedReplicas]: null },
      };
    case 'undo':
      return { replicas: 0 };
    default:
      return undefined;
  }
}
