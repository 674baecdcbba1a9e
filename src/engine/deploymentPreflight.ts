/**
 * Pre-flight for plain Deployments beside the app (DESIGN §4, Adoption): a Deployment that Ramp did not
 * adopt must not receive the requests Ramp routes — else Ramp reports a share of traffic ("promoted,
 * 100%") while part of it still reaches pods Ramp neither counts nor judges — and one whose controller
 * would take Ramp's ReplicaSets over must not exist at all.
 *
 * When a foreign Deployment's pods get Ramp's traffic, precisely. A Service sends requests to the pods
 * whose labels include every label of its selector; the Deployment controller adds only
 * `pod-template-hash` to its pods' labels, so a Deployment's pods are its pod template's labels. Ramp
 * writes one selector per role Service: the plan's selector plus `ramp.dev/revision: <rev>` for a
 * revision, or the plan's selector alone where the strategy's Service selects the whole app (`*`: no
 * router, `replicaRatio`, and `rolling`). So a Deployment with pods (spec.replicas > 0) is refused when
 *   1. its pod template carries every label of spec.selector and the strategy's stable Service selects
 *      the whole app: the Service splits requests between its pods and Ramp's;
 *   2. the stable Service already exists and its selector selects the Deployment's pods (it is the
 *      Service in front of the Deployment): Ramp's first write of that selector would take every request
 *      away from the Deployment — at a first deploy, before Ramp's pods are ready — or, with `*`, share
 *      them out as in 1;
 *   3. its pod template carries a `ramp.dev/…` label: its pods would pass for a revision of Ramp's.
 * And any Deployment, with pods or not, is refused when 4. its selector matches the labels of the
 * ReplicaSets Ramp creates for the app: the Deployment controller adopts matching ReplicaSets that no
 * one owns, and would scale Ramp's down as old ones of its own.
 * Not refused: a Deployment only another Service or route reaches (with a revision selector, Ramp's
 * Services never select a pod without `ramp.dev/revision`). Those requests never pass through what
 * Ramp routes and reports on; the README says so. The Deployment the plan adopts is not foreign.
 */
import type { FieldProblem } from '../errors';
import { type ObservedDeployment } from '../kube/deploymentState';
import { listDeployments } from '../kube/deployments';
import { describeSelector, hasLabels, selectorKeys, selectorMatches, serviceSelects } from '../kube/labelSelectors';
import { isRampLabel, LABELS, revisionLabels } from '../kube/names';
import { readService } from '../kube/services';
import type { CompiledPlan } from '../plan/compile';
import type { PodPolicy } from '../policy/podPolicy';
import type { KubeClient } from '../kube/client';

/** What the rule needs to know about the plan and the cluster. */
export interface DeploymentCheckInput {
  namespace: string;
  app: string;
  /** spec.selector.matchLabels. */
  selector: Readonly<Record<string, string>>;
  /** The stable Service's name, and its selector when it exists already. */
  service: { name: string; selector?: Readonly<Record<string, string>> };
  /** Whether the strategy's stable Service selects the whole app (the plan's selector alone). */
  wholeApp: boolean;
  /** spec.adopt.deployment. */
  adopt?: string;
  deployments: readonly ObservedDeployment[];
}

const ADOPT_PATH = 'spec.adopt';
const ADOPT_NAME_PATH = 'spec.adopt.deployment';

function labelsText(labels: Readonly<Record<string, string>>): string {
  return describeSelector(labels);
}

/** Rule 4: whether the Deployment's controller would claim Ramp's ReplicaSets of `app`. */
function claimsRampReplicaSets(d: ObservedDeployment, app: string): boolean {
  // Any revision: a selector that names ramp.dev/revision (or another ramp.dev label) is refused outright.
  return selectorKeys(d.selector).some(isRampLabel) || selectorMatches(d.selector, revisionLabels(app, 'any'));
}

/** Why a Deployment other than the adopted one would get Ramp's traffic (rules 1–3), or undefined. */
function foreignReason(d: ObservedDeployment, i: DeploymentCheckInput): string | undefined {
  const ramp = Object.keys(d.podLabels).filter(isRampLabel);
  if (ramp.length)
    return `its pods carry Ramp's own labels (${ramp.join(', ')}) and would pass for a revision of Ramp's`;
  if (i.wholeApp && hasLabels(d.podLabels, i.selector))
    return `its pods carry the plan's selector (${labelsText(i.selector)}), and Service ${i.service.name} selects the whole app by it (no router, or rolling): they would take a share of the requests Ramp counts as its own`;
  if (serviceSelects(i.service.selector, d.podLabels))
    return `Service ${i.service.name} sends it requests today (selector ${labelsText(i.service.selector ?? {})}): Ramp would point that Service at its own pods and take every request away from the Deployment before Ramp's pods are ready`;
  return undefined;
}

/** The problems with the namespace's Deployments for this plan (pure). */
export function deploymentProblems(i: DeploymentCheckInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const adopted = i.adopt === undefined ? undefined : i.deployments.find((d) => d.name === i.adopt);
  if (i.adopt !== undefined && !adopted)
    problems.push({
      path: ADOPT_NAME_PATH,
      message: `Deployment ${i.adopt} does not exist in namespace ${i.namespace}`,
    });
  for (const d of i.deployments) {
    const isAdopted = d === adopted;
    if (claimsRampReplicaSets(d, i.app))
      problems.push({
        path: isAdopted ? ADOPT_NAME_PATH : 'metadata.name',
        message: `Deployment ${d.name}'s selector (${describeSelector(d.selector)}) matches the ReplicaSets Ramp creates for ${i.app} (labelled ${LABELS.name}=${i.app}, ${LABELS.app}=${i.app}): the Deployment controller would take them over and scale them down; give it a selector they do not match`,
      });
    if (isAdopted) {
      const ramp = Object.keys(d.podLabels).filter(isRampLabel);
      if (ramp.length)
        problems.push({
          path: ADOPT_NAME_PATH,
          message: `Deployment ${d.name}'s pods carry Ramp's own labels (${ramp.join(', ')}): remove them from its pod template`,
        });
      const missing = Object.entries(i.selector).filter(([k, v]) => d.podLabels[k] !== v);
      if (missing.length)
        problems.push({
          path: ADOPT_NAME_PATH,
          message: `Deployment ${d.name}'s pod template lacks the plan's selector labels ${missing.map(([k, v]) => `${k}: ${v}`).join(', ')}: Ramp's stable ReplicaSet is made from that template and must match spec.selector`,
        });
      continue;
    }
    if (d.replicas === 0) continue;
    const why = foreignReason(d, i);
    if (why)
      problems.push({
        path: ADOPT_PATH,
        message: `Deployment ${d.name} in namespace ${i.namespace} runs ${d.replicas} pod${d.replicas === 1 ? '' : 's'} Ramp did not adopt: ${why}. Let Ramp take it over without downtime with spec.adopt: { deployment: ${d.name} }, or scale it to 0`,
      });
  }
  return problems;
}

/** Reads the namespace's Deployments and the stable Service, and checks them against the plan (the rules above). */
export async function checkDeployments(
  kube: KubeClient,
  podPolicy: PodPolicy,
  plan: CompiledPlan,
  wholeApp: boolean,
): Promise<FieldProblem[]> {
  const [deployments, service] = await Promise.all([
    listDeployments(kube, plan.namespace),
    readService(kube, plan.namespace, plan.service.names.stable),
  ]);
  const problems = deploymentProblems({
    namespace: plan.namespace,
    app: plan.app,
    selector: plan.selector,
    service: { name: plan.service.names.stable, ...(service ? { selector: { ...service.spec?.selector } } : {}) },
    wholeApp,
    adopt: plan.adopt?.deployment,
    deployments,
  });
  const adopted = deployments.find((d) => d.name === plan.adopt?.deployment);
  // Ramp would create pods from the adopted template: the namespace's pod policy applies to it as to a plan's.
  if (adopted)
    problems.push(
      ...podPolicy
        .check(plan.namespace, adopted.template, 'template')
        .map((p) => ({ path: ADOPT_NAME_PATH, message: `its pod template: ${p.path}: ${p.message}` })),
    );
  return problems;
}
