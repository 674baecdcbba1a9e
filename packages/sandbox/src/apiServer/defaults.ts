/**
 * Defaulting, as a cluster's API server fills in fields a manifest leaves out — the same defaults a
 * real cluster shows in `kubectl get -o yaml`, and the ones controllers and clients rely on
 * (a Deployment's strategy, a container's imagePullPolicy, a Service's clusterIP and targetPort).
 */
import type { KubeObject } from './types';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? (v.filter((x) => obj(x)) as Obj[]) : [];
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

function defaultProbe(p: unknown): void {
  const probe = obj(p);
  if (!probe) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  const http = obj(probe.httpGet);
  if (http) {
    setDefault(http, 'path', '/');
    setDefault(http, 'scheme', 'HTTP');
  }
}

function defaultContainer(c: Obj): void {
  const image = typeof c.image === 'string' ? c.image : '';
  const tag = image.includes('@') ? 'digest' : image.split('/').pop()?.split(':')[1];
  setDefault(c, 'imagePullPolicy', !tag || tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const p of arr(c.ports)) setDefault(p, 'protocol', 'TCP');
  defaultProbe(c.readinessProbe);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.startupProbe);
}

/** PodSpec defaults (also inside Deployment and ReplicaSet templates). */
export function defaultPodSpec(spec: Obj | undefined): void {
  if (!spec) return;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) defaultContainer(c);
}

function defaultWorkload(o: KubeObject, kind: 'Deployment' | 'ReplicaSet'): void {
  const spec = obj(o.spec);
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  if (kind === 'Deployment') {
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    setDefault(spec, 'strategy', {});
    const strategy = obj(spec.strategy);
    if (strategy) {
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        setDefault(strategy, 'rollingUpdate', {});
        const ru = obj(strategy.rollingUpdate);
        if (ru) {
          setDefault(ru, 'maxSurge', '25%');
          setDefault(ru, 'maxUnavailable', '25%');
        }
      }
    }
  }
  const template = obj(spec.template);
  defaultPodSpec(obj(template?.spec));
}

let nextClusterIp = 10;
let nextNodePort = 30000;

function defaultService(o: KubeObject): void {
  const spec = obj(o.spec);
  if (!spec) return;
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.type !== 'ExternalName') {
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    if (spec.clusterIP === undefined) {
      const n = nextClusterIp++;
      spec.clusterIP = `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
    }
    setDefault(spec, 'clusterIPs', spec.clusterIP === 'None' ? ['None'] : [spec.clusterIP]);
    setDefault(spec, 'ipFamilies', ['IPv4']);
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  }
  for (const p of arr(spec.ports)) {
    setDefault(p, 'protocol', 'TCP');
    setDefault(p, 'targetPort', p.port);
    if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort === undefined)
      p.nodePort = nextNodePort++;
  }
  if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
}

function defaultHttpRoute(o: KubeObject): void {
  const spec = obj(o.spec);
  if (!spec) return;
  if (!Array.isArray(spec.rules) || spec.rules.length === 0) spec.rules = [{}];
  for (const rule of arr(spec.rules)) {
    if (!Array.isArray(rule.matches) || rule.matches.length === 0)
      rule.matches = [{ path: { type: 'PathPrefix', value: '/' } }];
    for (const m of arr(rule.matches)) {
      setDefault(m, 'path', { type: 'PathPrefix', value: '/' });
      const p = obj(m.path);
      if (p) {
        setDefault(p, 'type', 'PathPrefix');
        setDefault(p, 'value', '/');
      }
      for (const h of arr(m.headers)) setDefault(h, 'type', 'Exact');
    }
    for (const b of arr(rule.backendRefs)) {
      setDefault(b, 'group', '');
      setDefault(b, 'kind', 'Service');
      setDefault(b, 'weight', 1);
    }
  }
  for (const p of arr(spec.parentRefs)) {
    setDefault(p, 'group', 'gateway.networking.k8s.io');
    setDefault(p, 'kind', 'Gateway');
  }
}

/**
 * What kube-apiserver's admission plugins add to a new pod (not to pod templates): the ServiceAccount
 * plugin's `default` service account, Priority's priority 0, DefaultTolerationSeconds' 300 s tolerations of
 * not-ready and unreachable nodes, and PodSpec's enableServiceLinks. (The ServiceAccount plugin also adds the
 * kube-api-access projected volume; the home-made control plane has no TokenRequest API to fill it.)
 */
export function admitPod(o: KubeObject): void {
  const spec = obj(o.spec);
  if (!spec) return;
  setDefault(spec, 'serviceAccountName', 'default');
  setDefault(spec, 'serviceAccount', spec.serviceAccountName);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  const tolerations = arr(spec.tolerations);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (tolerations.some((t) => t.key === key && (t.effect === 'NoExecute' || t.effect === undefined))) continue;
    tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/** Fills in the defaults of `o` in place (it is a fresh copy owned by the caller). */
export function applyDefaults(o: KubeObject): void {
  switch (o.kind) {
    case 'Pod':
      defaultPodSpec(obj(o.spec));
      break;
    case 'Deployment':
    case 'ReplicaSet':
      defaultWorkload(o, o.kind);
      break;
    case 'Service':
      defaultService(o);
      break;
    case 'HTTPRoute':
      defaultHttpRoute(o);
      break;
    case 'Namespace': {
      o.spec = { finalizers: ['kubernetes'], ...(obj(o.spec) ?? {}) };
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name ?? '' };
      break;
    }
    case 'Endpoints':
      for (const sub of arr(o.subsets)) for (const p of arr(sub.ports)) setDefault(p, 'protocol', 'TCP');
      break;
    case 'EndpointSlice':
      for (const p of arr(o.ports)) setDefault(p, 'protocol', 'TCP');
      break;
    case 'Secret':
      if (o.type === undefined) o.type = 'Opaque';
      break;
  }
}
