/**
 * Values checked against a named schema of a vendored document by ajv, which compiles Kubernetes'
 * schemas as they are; its errors become problems named the way Kubernetes names the causes of a 422.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { openApiDocument } from './documents';
import type { SchemaProblem } from './types';

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, allowUnionTypes: true });
const addedDocs = new Set<string>();
const validators = new Map<string, ValidateFunction>();

function validatorFor(docId: string, schemaName: string): ValidateFunction | undefined {
  const key = `${docId}#${schemaName}`;
  const cached = validators.get(key);
  if (cached) return cached;
  if (!addedDocs.has(docId)) {
    const doc = openApiDocument(docId);
    if (!doc) return undefined;
    ajv.addSchema({ components: doc.components }, docId);
    addedDocs.add(docId);
  }
  const v = ajv.getSchema(`${docId}#/components/schemas/${schemaName}`);
  if (v) validators.set(key, v);
  return v;
}

/** True when the document (`apis/apps/v1`) is vendored and has the schema (`io.k8s.api.apps.v1.Deployment`). */
export function hasSchema(docId: string, schemaName: string): boolean {
  return openApiDocument(docId)?.components.schemas[schemaName] !== undefined;
}

/** What checking a value against a schema found. */
export interface SchemaCheck {
  /** Whether the value conforms (unknown fields aside: the schemas do not forbid them). */
  valid: boolean;
  /** The problems, one per field and message; can be empty for an invalid value whose only errors were branch errors. */
  problems: SchemaProblem[];
}

/**
 * Checks a value against `docId`'s schema `schemaName`: wrong types, missing required fields and
 * unsupported enum values, each with its field path. Throws when the schema is not vendored.
 */
export function checkSchema(docId: string, schemaName: string, value: unknown): SchemaCheck {
  const v = validatorFor(docId, schemaName);
  if (!v) throw new Error(`no schema ${schemaName} in ${docId}`);
  if (v(value)) return { valid: true, problems: [] };
  const problems: SchemaProblem[] = [];
  for (const e of v.errors ?? []) {
    const p = problemOf(e, value);
    if (p && !problems.some((x) => x.field === p.field && x.message === p.message)) problems.push(p);
  }
  return { valid: false, problems };
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

function problemOf(e: ErrorObject, obj: unknown): SchemaProblem | undefined {
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
