/**
 * Plain Deployments in an app's namespace, as adoption and release need them (DESIGN §4, Adoption): read
 * and listed to find one whose pods Ramp's Services would reach, and written in one place — a merge
 * patch of only what differs (its size, Ramp's annotations, and on release its pod template). Ramp never
 * creates or deletes a Deployment: it only takes one over and hands it back.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeClient } from './client';
import { retryOnConflict } from './conflicts';
import { labelSelector } from './names';
import {
  currentPodTemplateHash,
  deploymentChanges,
  toObservedDeployment,
  type DeploymentTarget,
  type ObservedDeployment,
} from './deploymentState';

export type { DeploymentTarget, ObservedDeployment } from './deploymentState';

const RESOURCE = 'deployments';

/** The namespace's Deployments. */
export async function listDeployments(client: KubeClient, namespace: string): Promise<ObservedDeployment[]> {
  const list = await client.call('list', RESOURCE, (o) => client.apps.listNamespacedDeployment({ namespace }, o));
  return list.items.map(toObservedDeployment);
}

/**
 * The Deployment, or undefined when there is none; with `pods`, also which pod-template-hash its pods
 * have (one list of the ReplicaSets its selector's labels match).
 */
export async function readDeployment(
  client: KubeClient,
  namespace: string,
  name: string,
  opts: { pods?: boolean } = {},
): Promise<ObservedDeployment | undefined> {
  const d = await client.readOrUndefined(RESOURCE, (o) => client.apps.readNamespacedDeployment({ name, namespace }, o));
  if (!d) return undefined;
  const observed = toObservedDeployment(d);
  const matchLabels = d.spec?.selector?.matchLabels;
  if (!opts.pods || !matchLabels || Object.keys(matchLabels).length === 0) return observed;
  const list = await client.call('list', 'replicasets', (o) =>
    client.apps.listNamespacedReplicaSet({ namespace, labelSelector: labelSelector(matchLabels) }, o),
  );
  const podTemplateHash = currentPodTemplateHash(observed.uid, list.items);
  return podTemplateHash ? { ...observed, podTemplateHash } : observed;
}

/**
 * Brings the Deployment to `target` with one merge patch of what differs; 'unchanged' when nothing does
 * (no write), 'missing' when it does not exist (someone deleted it: there is nothing to scale).
 */
export function ensureDeployment(
  client: KubeClient,
  namespace: string,
  name: string,
  target: DeploymentTarget,
): Promise<'updated' | 'unchanged' | 'missing'> {
  return retryOnConflict(async () => {
    const current = await readDeployment(client, namespace, name);
    if (!current) return 'missing';
    const body = deploymentChanges(current, target);
    if (!body) return 'unchanged';
    await client.call('patch', RESOURCE, (o) =>
      client.apps.patchNamespacedDeployment(
        { name, namespace, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o),
      ),
    );
    return 'updated';
  });
}
