/**
 * Scrape targets from pods, with the labels a cluster's Prometheus attaches after its relabelling
 * (kube-prometheus / the classic `kubernetes-pods` job): `namespace`, `pod`, `container`, `node`, and
 * every pod label mapped to a Prometheus label name. Pure, so the HTTP endpoint and tests share it.
 */
import type { Container, ContainerPort, PodSpec, PodStatus } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../apiServer/types';

/** One entry of Prometheus' HTTP service-discovery answer (`http_sd_configs`). */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export const SCRAPE_ANNOTATION = 'prometheus.io/scrape';
export const PORT_ANNOTATION = 'prometheus.io/port';
export const PATH_ANNOTATION = 'prometheus.io/path';
export const SCHEME_ANNOTATION = 'prometheus.io/scheme';

/**
 * A Kubernetes label key as a Prometheus label name, as Prometheus' own `labelmap` over
 * `__meta_kubernetes_pod_label_*` produces it: every character outside [A-Za-z0-9_] becomes `_`.
 * A leading digit gets a `_` prefix, since Prometheus would otherwise refuse the name.
 */
export function sanitizeLabelName(key: string): string {
  const name = key.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

function isScrapable(pod: KubeObject): boolean {
  const status = (pod.status ?? {}) as PodStatus;
  if (status.phase !== 'Running' || !status.podIP) return false;
  if (pod.metadata.deletionTimestamp) return false;
  return pod.metadata.annotations?.[SCRAPE_ANNOTATION]?.toLowerCase() !== 'false';
}

function isTcp(p: ContainerPort): boolean {
  return (p.protocol ?? 'TCP') === 'TCP';
}

/** The annotated port when it is a valid one; an invalid annotation is ignored rather than scraped. */
function annotatedPort(pod: KubeObject): number | undefined {
  const text = pod.metadata.annotations?.[PORT_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Which container serves which port: the annotated one for the pod, else each container's first TCP port. */
function portsToScrape(pod: KubeObject, containers: readonly Container[]): { container: string; port: number }[] {
  const annotated = annotatedPort(pod);
  if (annotated !== undefined) {
    const owner = containers.find((c) => (c.ports ?? []).some((p) => p.containerPort === annotated)) ?? containers[0];
    return owner ? [{ container: owner.name, port: annotated }] : [];
  }
  const out: { container: string; port: number }[] = [];
  for (const c of containers) {
    const first = (c.ports ?? []).find(isTcp);
    if (first) out.push({ container: c.name, port: first.containerPort });
  }
  return out;
}

function baseLabels(pod: KubeObject, spec: PodSpec): Record<string, string> {
  const labels: Record<string, string> = {};
  // Pod labels first, so the fixed labels below win on a clash (a pod label called `namespace`).
  for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
    if (v !== '') labels[sanitizeLabelName(k)] = v;
  }
  labels.namespace = pod.metadata.namespace ?? 'default';
  labels.pod = pod.metadata.name ?? '';
  if (spec.nodeName) labels.node = spec.nodeName;
  const annotations = pod.metadata.annotations ?? {};
  labels.__metrics_path__ = annotations[PATH_ANNOTATION] || '/metrics';
  const scheme = annotations[SCHEME_ANNOTATION]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') labels.__scheme__ = scheme;
  return labels;
}

/**
 * One target group per scrape target of every Running pod that has an IP and is not being deleted.
 * The port is `prometheus.io/port` when set, else each container's first TCP containerPort (one target
 * per container); `prometheus.io/scrape: "false"` opts a pod out.
 */
export function podTargets(pods: readonly KubeObject[]): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const pod of pods) {
    if (!isScrapable(pod)) continue;
    const spec = (pod.spec ?? {}) as PodSpec;
    const podIP = (pod.status as PodStatus).podIP as string;
    const host = podIP.includes(':') ? `[${podIP}]` : podIP;
    const base = baseLabels(pod, spec);
    for (const { container, port } of portsToScrape(pod, spec.containers ?? [])) {
      groups.push({ targets: [`${host}:${port}`], labels: { ...base, container } });
    }
  }
  return groups;
}
