/**
 * Schema validation of objects, from the Kubernetes OpenAPI schemas themselves (ajv compiles them):
 * wrong types and missing required fields are 422 Invalid naming the field; unknown fields are found by
 * walking the same schemas and handled as `fieldValidation` asks (Strict → 400, Warn → a warning).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { docFor, kindSchema, SchemaWalker, type SchemaNode } from './openapi/schemas';
import { type ResourceType, typeKey } from './resources';
import { StatusError, type StatusCause } from './statusError';
import type { KubeObject } from './types';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, allowUnionTypes: true });
const addedDocs = new Set<string>();
const validators = new Map<string, ValidateFunction>();

function validatorFor(t: ResourceType): ValidateFunction | undefined {
  const k = typeKey(t);
  const cached = validators.get(k);
  if (cached) return cached;
  const ks = kindSchema(t);
  if (!ks) return undefined;
  if (!addedDocs.has(ks.docId)) {
    const doc = docFor(ks.docId);
    if (!doc) return undefined;
    ajv.addSchema({ components: doc.components }, ks.docId);
    addedDocs.add(ks.docId);
  }
  const v = ajv.getSchema(`${ks.docId}${ks.ref}`);
  if (v) validators.set(k, v);
  return v;
}

function validatorForSchema(docId: string, schemaName: string): ValidateFunction | undefined {
  const key = `${docId}#${schemaName}`;
  const cached = validators.get(key);
  if (cached) return cached;
  if (!addedDocs.has(docId)) {
    const doc = docFor(docId);
    if (!doc) return undefined;
    ajv.addSchema({ components: doc.components }, docId);
    addedDocs.add(docId);
  }
  const v = ajv.getSchema(`${docId}#/components/schemas/${schemaName}`);
  if (v) validators.set(key, v);
  return v;
}

/**
 * Field errors of any value against a named schema of a vendored document (for example a plan's
 * PodTemplateSpec against `apis/apps/v1` → `io.k8s.api.core.v1.PodTemplateSpec`), unknown fields
 * included; paths start with `prefix`.
 */
export function schemaProblems(docId: string, schemaName: string, value: unknown, prefix: string): StatusCause[] {
  const v = validatorForSchema(docId, schemaName);
  const doc = docFor(docId);
  if (!v || !doc) throw new Error(`no schema ${schemaName} in ${docId}`);
  const causes: StatusCause[] = [];
  const join = (f: string | undefined): string => (f ? `${prefix}.${f}` : prefix);
  if (!v(value)) {
    for (const e of v.errors ?? []) {
      const c = causeOf(e, value);
      if (c && !causes.some((x) => x.field === join(c.field) && x.message === c.message))
        causes.push({ ...c, field: join(c.field) });
    }
  }
  const walker = new SchemaWalker(doc);
  const unknown: string[] = [];
  walkUnknown(walker, walker.resolve(doc.components.schemas[schemaName]), value, '', unknown);
  for (const f of unknown) causes.push({ reason: 'FieldValueUnknown', field: join(f), message: 'unknown field' });
  return causes;
}

/** `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image`. */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function valueAt(obj: unknown, pointer: string): unknown {
  let cur = obj;
  for (const seg of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function causeOf(e: ErrorObject, obj: unknown): StatusCause | undefined {
  const field = fieldPath(e.instancePath);
  const shown = JSON.stringify(valueAt(obj, e.instancePath));
  switch (e.keyword) {
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return {
        reason: 'FieldValueRequired',
        field: field ? `${field}.${missing}` : missing,
        message: 'Required value',
      };
    }
    case 'type': {
      const want = (e.params as { type: string }).type;
      return {
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: ${shown}: ${field} in body must be of type ${want}`,
      };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
      return {
        reason: 'FieldValueNotSupported',
        field,
        message: `Unsupported value: ${shown}: supported values: ${allowed}`,
      };
    }
    case 'oneOf':
    case 'anyOf':
    case 'if':
      return undefined; // the branch errors say what is wrong
    default:
      return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown}: ${e.message ?? 'is invalid'}` };
  }
}

/** Drops `null` fields, as Kubernetes' decoder does (kubectl writes `creationTimestamp: null`). */
export function pruneNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(pruneNulls) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = pruneNulls(v);
    return out as T;
  }
  return value;
}

/** Throws 422 Invalid listing every schema violation, each with its field path. */
export function validateSchema(t: ResourceType, obj: KubeObject): void {
  const v = validatorFor(t);
  if (!v || v(obj)) return;
  const seen = new Set<string>();
  const causes: StatusCause[] = [];
  for (const e of v.errors ?? []) {
    const c = causeOf(e, obj);
    if (!c) continue;
    const key = `${c.field}|${c.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    causes.push(c);
  }
  if (causes.length === 0) causes.push({ message: 'Invalid value' });
  throw StatusError.invalid(t.group, t.kind, (obj as Partial<KubeObject>).metadata?.name ?? '', causes);
}

/** Paths of fields the kind's schema does not know (`spec.foo`, `spec.template.spec.containers[0].imagee`). */
export function unknownFields(t: ResourceType, obj: KubeObject): string[] {
  const ks = kindSchema(t);
  if (!ks) return [];
  const out: string[] = [];
  walkUnknown(ks.walker, ks.walker.resolve(ks.root), obj, '', out);
  return out;
}

function walkUnknown(
  w: SchemaWalker,
  schema: SchemaNode | undefined,
  value: unknown,
  path: string,
  out: string[],
): void {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    const items = w.items(schema);
    value.forEach((v, i) => walkUnknown(w, items, v, `${path}[${i}]`, out));
    return;
  }
  if (!value || typeof value !== 'object') return;
  const props = schema.properties;
  for (const [k, v] of Object.entries(value)) {
    const sub = props?.[k];
    const child = path ? `${path}.${k}` : k;
    if (sub) walkUnknown(w, w.resolve(sub), v, child, out);
    else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      walkUnknown(w, w.resolve(schema.additionalProperties), v, child, out);
    } else if (props && schema.additionalProperties !== true) out.push(child);
  }
}

/**
 * Applies `fieldValidation`: Strict refuses unknown fields (400, as `kubectl apply` expects), Warn
 * returns warnings for the `Warning` header, Ignore says nothing.
 */
export function checkUnknownFields(t: ResourceType, obj: KubeObject, mode: FieldValidation): string[] {
  if (mode === 'Ignore') return [];
  const unknown = unknownFields(t, obj);
  if (unknown.length === 0) return [];
  if (mode === 'Strict') {
    throw StatusError.badRequest(
      `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
    );
  }
  return unknown.map((f) => `unknown field "${f}"`);
}

/** Parses the `fieldValidation` query parameter (default Warn, as Kubernetes ≥ 1.25). */
export function parseFieldValidation(v: string | undefined): FieldValidation {
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw StatusError.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
}
