/**
 * Label and field selectors, as the Kubernetes API parses them from query strings and from
 * `LabelSelector` objects. Parse errors are BadRequest Status errors, as a cluster answers.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { StatusError } from './statusError';

export type LabelOp = 'exists' | 'notExists' | 'in' | 'notIn';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

/** A parsed label selector. An empty list selects everything. */
export type Selector = LabelRequirement[];

const KEY_RE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, where: string): string {
  if (!KEY_RE.test(key) || key.length > 316) {
    throw StatusError.badRequest(`unable to parse requirement: invalid label key "${key}" in ${where}`);
  }
  return key;
}

function checkValue(value: string, where: string): string {
  if (!VALUE_RE.test(value) || value.length > 63) {
    throw StatusError.badRequest(`unable to parse requirement: invalid label value "${value}" in ${where}`);
  }
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Parses `app=web,tier!=db,env in (a,b),!legacy` into requirements. */
export function parseLabelSelector(text: string | undefined): Selector {
  if (!text || text.trim() === '') return [];
  return splitTopLevel(text).map((part) => {
    let m = /^!\s*(\S+)$/.exec(part);
    if (m) return { key: checkKey(m[1], text), op: 'notExists', values: [] };
    m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (m) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0)
        .map((v) => checkValue(v, text));
      return { key: checkKey(m[1], text), op: m[2] === 'in' ? 'in' : 'notIn', values };
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      return { key: checkKey(m[1], text), op: m[2] === '!=' ? 'notIn' : 'in', values: [checkValue(m[3], text)] };
    }
    if (/^[^\s=!()]+$/.test(part)) return { key: checkKey(part, text), op: 'exists', values: [] };
    throw StatusError.badRequest(`unable to parse requirement: found '${part}' in label selector "${text}"`);
  });
}

/** Converts a `LabelSelector` object (matchLabels + matchExpressions) to requirements. */
export function fromLabelSelector(sel: LabelSelector | undefined): Selector {
  if (!sel) return [];
  const reqs: Selector = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, op: 'in', values: [v] });
  for (const e of sel.matchExpressions ?? []) {
    const op: LabelOp | undefined = {
      In: 'in' as const,
      NotIn: 'notIn' as const,
      Exists: 'exists' as const,
      DoesNotExist: 'notExists' as const,
    }[e.operator];
    if (!op) throw StatusError.badRequest(`"${e.operator}" is not a valid label selector operator`);
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

/** Whether labels satisfy every requirement. */
export function matchesLabels(selector: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notIn':
        return !has || !r.values.includes(l[r.key]);
    }
  });
}

/** The query-string form of a selector (what `kubectl get -o wide` shows in SELECTOR). */
export function selectorToString(selector: Selector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case 'notExists':
          return `!${r.key}`;
        case 'in':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'notIn':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
      }
    })
    .join(',');
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

/** Fields each kind can be selected by, beyond metadata.name and metadata.namespace (as a cluster). */
const EXTRA_FIELDS: Record<string, readonly string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  ReplicaSet: ['status.replicas'],
};

/** Parses `metadata.name=web,status.phase!=Running`; refuses a field the kind cannot be selected by. */
export function parseFieldSelector(text: string | undefined, kind: string): FieldRequirement[] {
  if (!text || text.trim() === '') return [];
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[kind] ?? [])]);
  return text.split(',').map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw StatusError.badRequest(`invalid field selector: '${part}'`);
    if (!allowed.has(m[1])) throw StatusError.badRequest(`field label not supported: ${m[1]}`);
    return { field: m[1], value: m[3], negate: m[2] === '!=' };
  });
}

function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (path === 'source' && cur && typeof cur === 'object')
    return String((cur as { component?: string }).component ?? '');
  return cur === undefined || cur === null ? '' : String(cur);
}

export function matchesFields(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.negate);
}
