/**
 * Creates or updates objects through the real Kubernetes client (what `kubectl apply` does, without
 * the three-way merge): read, then create if absent or replace at the read resourceVersion.
 */
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';

function isNotFound(e: unknown): boolean {
  return (e as { code?: number }).code === 404;
}

/** Applies objects in order; namespaces first if you list them first. Returns the stored objects. */
export async function applyManifests(
  kubeconfigPath: string,
  objects: readonly KubernetesObject[],
): Promise<KubernetesObject[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const client = KubernetesObjectApi.makeApiClient(kc);
  const out: KubernetesObject[] = [];
  for (const obj of objects) {
    try {
      const current = await client.read({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace },
      });
      out.push(
        await client.replace({
          ...obj,
          metadata: { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion },
        }),
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
      out.push(await client.create(obj));
    }
  }
  return out;
}
