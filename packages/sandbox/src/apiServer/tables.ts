/**
 * Server-side `Table`s (meta.k8s.io/v1), so `kubectl get` prints the columns a cluster prints:
 * READY/STATUS/RESTARTS/AGE for pods, UP-TO-DATE/AVAILABLE for deployments, and so on. Columns with
 * priority 1 are the extra ones `-o wide` shows.
 */
import type { KubeObject } from './types';

export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ColumnDefinition[];
  rows: TableRow[];
}

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const a = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(o) : []);
const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** kubectl's short human durations: 45s, 3m12s, 17m, 5h3m, 12h, 3d4h, 40d, 2y. */
export function humanDuration(ms: number): string {
  const sec = Math.max(0, Math.floor(ms / 1000));
  if (sec < 120) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 10) return sec % 60 === 0 ? `${min}m` : `${min}m${sec % 60}s`;
  if (min < 180) return `${min}m`;
  const h = Math.floor(min / 60);
  if (h < 8) return min % 60 === 0 ? `${h}h` : `${h}h${min % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function age(obj: KubeObject, now: number): string {
  const t = obj.metadata.creationTimestamp;
  return t ? humanDuration(now - Date.parse(t)) : '<unknown>';
}

function col(name: string, type: ColumnDefinition['type'] = 'string', priority = 0, format = ''): ColumnDefinition {
  return { name, type, format, description: name, priority };
}

const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age', 'string');

interface Printer {
  columns: ColumnDefinition[];
  cells(obj: KubeObject, now: number): unknown[];
}

function podStatus(pod: KubeObject): {
  ready: number;
  total: number;
  reason: string;
  restarts: number;
  lastRestart?: string;
} {
  const status = o(pod.status);
  const spec = o(pod.spec);
  let reason = s(status.reason) || s(status.phase);
  let restarts = 0;
  let ready = 0;
  let lastRestart: string | undefined;
  let hasRunning = false;
  const statuses = a(status.containerStatuses);
  for (const cs of [...statuses].reverse()) {
    restarts += Number(cs.restartCount ?? 0);
    const state = o(cs.state);
    const last = o(o(cs.lastState).terminated);
    if (last.finishedAt && (!lastRestart || s(last.finishedAt) > lastRestart)) lastRestart = s(last.finishedAt);
    if (o(state.waiting).reason) reason = s(o(state.waiting).reason);
    else if (o(state.terminated).reason) reason = s(o(state.terminated).reason);
    else if (state.terminated) {
      const t = o(state.terminated);
      reason = t.signal ? `Signal:${s(t.signal)}` : `ExitCode:${s(t.exitCode)}`;
    } else if (cs.ready && state.running) {
      hasRunning = true;
      ready++;
    }
  }
  if (reason === 'Completed' && hasRunning) reason = 'Running';
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return { ready, total: a(spec.containers).length, reason, restarts, lastRestart };
}

function workloadImages(obj: KubeObject): [string, string] {
  const containers = a(o(o(o(obj.spec).template).spec).containers);
  return [containers.map((c) => s(c.name)).join(','), containers.map((c) => s(c.image)).join(',')];
}

function selectorString(sel: unknown): string {
  const m = o(o(sel).matchLabels);
  const parts = Object.entries(m).map(([k, v]) => `${k}=${s(v)}`);
  for (const e of a(o(sel).matchExpressions)) {
    const vals = (Array.isArray(e.values) ? e.values : []).join(',');
    const op = s(e.operator);
    parts.push(
      op === 'Exists' ? s(e.key) : op === 'DoesNotExist' ? `!${s(e.key)}` : `${s(e.key)} ${op.toLowerCase()} (${vals})`,
    );
  }
  return parts.join(',');
}

function servicePorts(obj: KubeObject): string {
  const ports = a(o(obj.spec).ports);
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${s(p.port)}${p.nodePort ? ':' + s(p.nodePort) : ''}/${s(p.protocol || 'TCP')}`).join(',');
}

function endpointsList(addresses: string[], ports: number[]): string {
  if (addresses.length === 0) return '<none>';
  const all = addresses.flatMap((ip) => (ports.length ? ports.map((p) => `${ip}:${p}`) : [ip]));
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [
      NAME,
      col('Ready'),
      col('Status'),
      col('Restarts'),
      AGE,
      col('IP', 'string', 1),
      col('Node', 'string', 1),
      col('Nominated Node', 'string', 1),
      col('Readiness Gates', 'string', 1),
    ],
    cells(pod, now) {
      const st = podStatus(pod);
      const restarts = st.lastRestart
        ? `${st.restarts} (${humanDuration(now - Date.parse(st.lastRestart))} ago)`
        : String(st.restarts);
      return [
        pod.metadata.name,
        `${st.ready}/${st.total}`,
        st.reason,
        restarts,
        age(pod, now),
        s(o(pod.status).podIP) || '<none>',
        s(o(pod.spec).nodeName) || '<none>',
        '<none>',
        '<none>',
      ];
    },
  },
  Deployment: {
    columns: [
      NAME,
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells(d, now) {
      const st = o(d.status);
      const [containers, images] = workloadImages(d);
      return [
        d.metadata.name,
        `${Number(st.readyReplicas ?? 0)}/${Number(o(d.spec).replicas ?? 0)}`,
        Number(st.updatedReplicas ?? 0),
        Number(st.availableReplicas ?? 0),
        age(d, now),
        containers,
        images,
        selectorString(o(d.spec).selector),
      ];
    },
  },
  ReplicaSet: {
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells(rs, now) {
      const st = o(rs.status);
      const [containers, images] = workloadImages(rs);
      return [
        rs.metadata.name,
        Number(o(rs.spec).replicas ?? 0),
        Number(st.replicas ?? 0),
        Number(st.readyReplicas ?? 0),
        age(rs, now),
        containers,
        images,
        selectorString(o(rs.spec).selector),
      ];
    },
  },
  Service: {
    columns: [
      NAME,
      col('Type'),
      col('Cluster-IP'),
      col('External-IP'),
      col('Port(s)'),
      AGE,
      col('Selector', 'string', 1),
    ],
    cells(svc, now) {
      const spec = o(svc.spec);
      const ingress = a(o(o(svc.status).loadBalancer).ingress).map((i) => s(i.ip || i.hostname));
      const external = ingress.length ? ingress.join(',') : spec.type === 'LoadBalancer' ? '<pending>' : '<none>';
      const sel =
        Object.entries(o(spec.selector))
          .map(([k, v]) => `${k}=${s(v)}`)
          .join(',') || '<none>';
      return [
        svc.metadata.name,
        s(spec.type),
        s(spec.clusterIP) || '<none>',
        external,
        servicePorts(svc),
        age(svc, now),
        sel,
      ];
    },
  },
  Endpoints: {
    columns: [NAME, col('Endpoints'), AGE],
    cells(ep, now) {
      const subsets = a(ep.subsets);
      const addrs = subsets.flatMap((sub) => a(sub.addresses).map((x) => s(x.ip)));
      const ports = subsets.flatMap((sub) => a(sub.ports).map((p) => Number(p.port)));
      return [ep.metadata.name, endpointsList(addrs, [...new Set(ports)]), age(ep, now)];
    },
  },
  EndpointSlice: {
    columns: [NAME, col('AddressType'), col('Ports'), col('Endpoints'), AGE],
    cells(es, now) {
      const ports = a(es.ports).map((p) => s(p.port));
      const addrs = a(es.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : []));
      const shown =
        addrs.length === 0
          ? '<unset>'
          : addrs.length > 3
            ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...`
            : addrs.join(',');
      return [es.metadata.name, s(es.addressType), ports.length ? ports.join(',') : '<unset>', shown, age(es, now)];
    },
  },
  HTTPRoute: {
    columns: [NAME, col('Hostnames'), AGE],
    cells(r, now) {
      const hosts = o(r.spec).hostnames;
      return [r.metadata.name, Array.isArray(hosts) ? JSON.stringify(hosts) : '', age(r, now)];
    },
  },
  Ingress: {
    columns: [NAME, col('Class'), col('Hosts'), col('Address'), col('Ports'), AGE],
    cells(ing, now) {
      const spec = o(ing.spec);
      const hosts = a(spec.rules).map((r) => s(r.host) || '*');
      const addr = a(o(o(ing.status).loadBalancer).ingress)
        .map((i) => s(i.ip || i.hostname))
        .join(',');
      return [
        ing.metadata.name,
        s(spec.ingressClassName) || '<none>',
        hosts.join(',') || '*',
        addr,
        a(spec.tls).length ? '80, 443' : '80',
        age(ing, now),
      ];
    },
  },
  Namespace: {
    columns: [NAME, col('Status'), AGE],
    cells: (ns, now) => [ns.metadata.name, s(o(ns.status).phase), age(ns, now)],
  },
  Node: {
    columns: [
      NAME,
      col('Status'),
      col('Roles'),
      AGE,
      col('Version'),
      col('Internal-IP', 'string', 1),
      col('OS-Image', 'string', 1),
    ],
    cells(n, now) {
      const st = o(n.status);
      const ready = a(st.conditions).find((c) => c.type === 'Ready');
      const info = o(st.nodeInfo);
      const ip = a(st.addresses).find((x) => x.type === 'InternalIP');
      const roles = Object.keys(n.metadata.labels ?? {})
        .filter((l) => l.startsWith('node-role.kubernetes.io/'))
        .map((l) => l.slice('node-role.kubernetes.io/'.length))
        .join(',');
      const state = ready?.status === 'True' ? 'Ready' : 'NotReady';
      return [
        n.metadata.name,
        state,
        roles || '<none>',
        age(n, now),
        s(info.kubeletVersion),
        s(ip?.address),
        s(info.osImage),
      ];
    },
  },
  Event: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells(ev, now) {
      const last = s(ev.lastTimestamp) || s(ev.eventTime) || ev.metadata.creationTimestamp;
      const inv = o(ev.involvedObject);
      return [
        last ? humanDuration(now - Date.parse(last)) : '<unknown>',
        s(ev.type),
        s(ev.reason),
        `${s(inv.kind).toLowerCase()}/${s(inv.name)}`,
        s(ev.message),
      ];
    },
  },
  Secret: {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    cells: (sec, now) => [
      sec.metadata.name,
      s(sec.type),
      Object.keys(o(sec.data)).length + Object.keys(o(sec.stringData)).length,
      age(sec, now),
    ],
  },
  ConfigMap: {
    columns: [NAME, col('Data', 'integer'), AGE],
    cells: (cm, now) => [
      cm.metadata.name,
      Object.keys(o(cm.data)).length + Object.keys(o(cm.binaryData)).length,
      age(cm, now),
    ],
  },
};

const DEFAULT_PRINTER: Printer = { columns: [NAME, AGE], cells: (x, now) => [x.metadata.name, age(x, now)] };

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** Renders objects of one kind as a Table. */
export function toTable(
  kind: string,
  objects: readonly KubeObject[],
  meta: Table['metadata'],
  opts: { includeObject?: IncludeObject; noHeaders?: boolean; now?: number } = {},
): Table {
  const p = PRINTERS[kind] ?? DEFAULT_PRINTER;
  const now = opts.now ?? Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: opts.noHeaders ? [] : p.columns,
    rows: objects.map((x) => ({ cells: p.cells(x, now), object: rowObject(x, opts.includeObject ?? 'Metadata') })),
  };
}

/** Whether an Accept header asks for a Table (kubectl get sends `as=Table;v=v1;g=meta.k8s.io`). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}
