/**
 * The rules a schema cannot express and clients rely on: name formats, label syntax, a workload's
 * selector matching its template, immutable fields. Messages follow Kubernetes' field-error wording.
 */
import { fromLabelSelector, matchesLabels } from './selectors';
import type { StatusCause } from './statusError';
import type { KubeObject } from './types';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const a = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(o) : []);

/** Kinds whose names must be DNS-1123 labels (≤ 63 chars, no dots), not subdomains. */
const LABEL_NAMED = new Set(['Service', 'Namespace']);

function nameCauses(kind: string, name: string | undefined, field = 'metadata.name'): StatusCause[] {
  if (!name)
    return [{ reason: 'FieldValueRequired', field, message: 'Required value: name or generateName is required' }];
  if (LABEL_NAMED.has(kind)) {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      return [
        {
          field,
          message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        },
      ];
    }
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [
      {
        field,
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
    ];
  }
  return [];
}

function labelCauses(labels: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(o(labels))) {
    const [prefix, name] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : ['', k];
    if ((prefix && !DNS1123_SUBDOMAIN.test(prefix)) || !LABEL_NAME.test(name) || name.length > 63) {
      causes.push({
        field,
        message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      });
    }
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      causes.push({
        field,
        message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      });
    }
  }
  return causes;
}

function podSpecCauses(spec: Obj, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  a(spec.containers).forEach((c, i) => {
    const f = `${field}.containers[${i}]`;
    const name = typeof c.name === 'string' ? c.name : '';
    if (!DNS1123_LABEL.test(name) || name.length > 63)
      causes.push({
        field: `${f}.name`,
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
      });
    else if (names.has(name))
      causes.push({ reason: 'FieldValueDuplicate', field: `${f}.name`, message: `Duplicate value: "${name}"` });
    names.add(name);
    if (!c.image) causes.push({ reason: 'FieldValueRequired', field: `${f}.image`, message: 'Required value' });
    a(c.ports).forEach((p, j) => {
      const port = p.containerPort;
      if (typeof port !== 'number' || port < 1 || port > 65535) {
        causes.push({
          field: `${f}.ports[${j}].containerPort`,
          message: `Invalid value: ${JSON.stringify(port)}: must be between 1 and 65535, inclusive`,
        });
      }
    });
  });
  return causes;
}

function workloadCauses(obj: KubeObject): StatusCause[] {
  const spec = o(obj.spec);
  const causes: StatusCause[] = [];
  const selector = o(spec.selector);
  const template = o(spec.template);
  const labels = o(o(template.metadata).labels) as Record<string, string>;
  if (Object.keys(o(selector.matchLabels)).length === 0 && a(selector.matchExpressions).length === 0) {
    causes.push({ field: 'spec.selector', message: 'Invalid value: "null": empty selector is invalid for deployment' });
  } else if (!matchesLabels(fromLabelSelector(selector as never), labels)) {
    causes.push({
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
    });
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    causes.push({
      field: 'spec.replicas',
      message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
    });
  }
  causes.push(...labelCauses(labels, 'spec.template.metadata.labels'));
  causes.push(...podSpecCauses(o(template.spec), 'spec.template.spec'));
  return causes;
}

function serviceCauses(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const ports = a(o(obj.spec).ports);
  ports.forEach((p, i) => {
    if (typeof p.port !== 'number' || p.port < 1 || p.port > 65535)
      causes.push({
        field: `spec.ports[${i}].port`,
        message: `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535, inclusive`,
      });
    if (ports.length > 1 && !p.name)
      causes.push({ reason: 'FieldValueRequired', field: `spec.ports[${i}].name`, message: 'Required value' });
  });
  return causes;
}

/** Field errors of a new or updated object (empty when valid). */
export function semanticCauses(obj: KubeObject): StatusCause[] {
  const causes = [...nameCauses(obj.kind, obj.metadata.name), ...labelCauses(obj.metadata.labels, 'metadata.labels')];
  switch (obj.kind) {
    case 'Deployment':
    case 'ReplicaSet':
      causes.push(...workloadCauses(obj));
      break;
    case 'Pod':
      causes.push(...podSpecCauses(o(obj.spec), 'spec'));
      break;
    case 'Service':
      causes.push(...serviceCauses(obj));
      break;
  }
  return causes;
}

function stripImages(spec: unknown, bindable: boolean): string {
  const s = structuredClone(o(spec));
  // Binding a pod to a node (the scheduler's one write to a pod's spec) is allowed once.
  if (bindable) delete s.nodeName;
  for (const c of [...a(s.containers), ...a(s.initContainers)]) delete c.image;
  delete s.activeDeadlineSeconds;
  delete s.tolerations;
  return JSON.stringify(s);
}

/** Field errors of changing `prev` into `next` (immutable fields). */
export function updateCauses(prev: KubeObject, next: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (next.kind === 'Deployment' || next.kind === 'ReplicaSet') {
    if (JSON.stringify(o(prev.spec).selector) !== JSON.stringify(o(next.spec).selector)) {
      causes.push({
        field: 'spec.selector',
        message: `Invalid value: ${JSON.stringify(o(next.spec).selector)}: field is immutable`,
      });
    }
  }
  if (next.kind === 'Service') {
    const before = o(prev.spec).clusterIP;
    const after = o(next.spec).clusterIP;
    if (after !== undefined && after !== '' && before !== after)
      causes.push({ field: 'spec.clusterIP', message: `Invalid value: "${String(after)}": field is immutable` });
  }
  const bindable = !o(prev.spec).nodeName;
  if (next.kind === 'Pod' && stripImages(prev.spec, bindable) !== stripImages(next.spec, bindable)) {
    causes.push({
      reason: 'FieldValueForbidden',
      field: 'spec',
      message:
        'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations)',
    });
  }
  return causes;
}
