/**
 * The stable and canary Services (DESIGN §3): created when absent, otherwise their selector and port
 * patched in place when they differ — never deleted and recreated, so the ClusterIP clients use stays.
 */
import { PatchStrategy, setHeaderOptions, type V1Service, type V1ServicePort } from '@kubernetes/client-node';
import type { KubeClient } from './client';
import { retryOnConflict } from './conflicts';
import { checkedLabels } from './names';
import type { EnsureResult } from './replicaSets';

/** What a Service should be. */
export interface DesiredService {
  namespace: string;
  name: string;
  /** Exactly the selector: keys the Service has beyond these are removed. */
  selector: Readonly<Record<string, string>>;
  /** The Service port clients and routes use. */
  port: number;
  /** The pods' port: a number or a container port name. */
  targetPort: number | string;
  /** Added to (never removed from) the Service's labels. */
  labels?: Readonly<Record<string, string>>;
}

const RESOURCE = 'services';

/** The Service Ramp creates for `d`, pure. */
export function serviceManifest(d: DesiredService): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: d.name, namespace: d.namespace, ...(d.labels ? { labels: checkedLabels({ ...d.labels }) } : {}) },
    spec: {
      selector: checkedLabels({ ...d.selector }),
      ports: [{ name: 'http', protocol: 'TCP', port: d.port, targetPort: d.targetPort }],
    },
  };
}

function sameTarget(p: V1ServicePort, d: DesiredService): boolean {
  // The API defaults targetPort to the port; an IntOrString may come back as a string of digits.
  return String(p.targetPort ?? p.port) === String(d.targetPort);
}

/** The ports list with Ramp's port as desired, or undefined when it already is. */
function portsChange(current: readonly V1ServicePort[], d: DesiredService): V1ServicePort[] | undefined {
  const i = current.length === 1 ? 0 : current.findIndex((p) => p.port === d.port && (p.protocol ?? 'TCP') === 'TCP');
  if (i >= 0 && current[i].port === d.port && sameTarget(current[i], d)) return undefined;
  const ports = current.map((p) => ({ ...p }));
  if (i >= 0) ports[i] = { ...ports[i], port: d.port, targetPort: d.targetPort };
  else {
    const taken = new Set(current.map((p) => p.name));
    ports.push({
      name: taken.has('http') ? `port-${d.port}` : 'http',
      protocol: 'TCP',
      port: d.port,
      targetPort: d.targetPort,
    });
  }
  return ports;
}

/** A merge patch of what differs (selector keys removed with null, the ports list, missing labels); undefined when nothing does. Pure. */
export function serviceChanges(current: V1Service, d: DesiredService): Record<string, unknown> | undefined {
  const spec: Record<string, unknown> = {};
  const have = current.spec?.selector ?? {};
  const selector: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(checkedLabels({ ...d.selector }))) if (have[k] !== v) selector[k] = v;
  for (const k of Object.keys(have)) if (!(k in d.selector)) selector[k] = null;
  if (Object.keys(selector).length > 0) spec.selector = selector;
  const ports = portsChange(current.spec?.ports ?? [], d);
  if (ports) spec.ports = ports;
  const haveLabels = current.metadata?.labels ?? {};
  const labels = Object.fromEntries(
    Object.entries(checkedLabels({ ...d.labels })).filter(([k, v]) => haveLabels[k] !== v),
  );
  const patch: Record<string, unknown> = {};
  if (Object.keys(spec).length > 0) patch.spec = spec;
  if (Object.keys(labels).length > 0) patch.metadata = { labels };
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** The Service, or undefined when there is none. */
export function readService(client: KubeClient, namespace: string, name: string): Promise<V1Service | undefined> {
  return client.readOrUndefined(RESOURCE, (o) => client.core.readNamespacedService({ name, namespace }, o));
}

/** Creates the Service, or patches an existing one's selector, port and labels where they differ; a 409 re-reads. */
export function ensureService(client: KubeClient, d: DesiredService): Promise<EnsureResult> {
  return retryOnConflict(async () => {
    const current = await readService(client, d.namespace, d.name);
    if (!current) {
      await client.call('create', RESOURCE, (o) =>
        client.core.createNamespacedService({ namespace: d.namespace, body: serviceManifest(d) }, o),
      );
      return 'created';
    }
    const body = serviceChanges(current, d);
    if (!body) return 'unchanged';
    await client.call('patch', RESOURCE, (o) =>
      client.core.patchNamespacedService(
        { name: d.name, namespace: d.namespace, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o),
      ),
    );
    return 'updated';
  });
}
