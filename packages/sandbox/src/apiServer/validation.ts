/**
 * Schema validation of objects, from the Kubernetes OpenAPI schemas themselves (@ramp/kube-schemas):
 * wrong types and missing required fields are 422 Invalid naming the field; unknown fields are found by
 * walking the same schemas and handled as `fieldValidation` asks (Strict → 400, Warn → a warning).
 */
import { checkSchema, unknownFieldPaths } from '@ramp/kube-schemas';
import { kindSchema } from './openapi/schemas';
import type { ResourceType } from './resources';
import { StatusError, type StatusCause } from './statusError';
import type { KubeObject } from './types';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

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
  const ks = kindSchema(t);
  if (!ks) return;
  const check = checkSchema(ks.docId, t.schemaName, obj);
  if (check.valid) return;
  const causes: StatusCause[] = check.problems.length ? check.problems : [{ message: 'Invalid value' }];
  throw StatusError.invalid(t.group, t.kind, (obj as Partial<KubeObject>).metadata?.name ?? '', causes);
}

/** Paths of fields the kind's schema does not know (`spec.foo`, `spec.template.spec.containers[0].imagee`). */
export function unknownFields(t: ResourceType, obj: KubeObject): string[] {
  const ks = kindSchema(t);
  return ks ? unknownFieldPaths(ks.docId, t.schemaName, obj) : [];
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
