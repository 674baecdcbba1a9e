/**
 * Fields a schema does not know, found by walking the value beside its schema: what Kubernetes' strict
 * field validation reports (`spec.template.spec.containers[0].imagee`). Maps and
 * `x-kubernetes-preserve-unknown-fields` take anything.
 */
import { openApiDocument } from './documents';
import { SchemaWalker } from './schemaWalker';
import type { SchemaNode } from './types';

/** Paths of the fields of `value` that `docId`'s schema `schemaName` does not know; throws when it is not vendored. */
export function unknownFieldPaths(docId: string, schemaName: string, value: unknown): string[] {
  const doc = openApiDocument(docId);
  const root = doc?.components.schemas[schemaName];
  if (!doc || !root) throw new Error(`no schema ${schemaName} in ${docId}`);
  const walker = new SchemaWalker(doc);
  const out: string[] = [];
  walkUnknown(walker, walker.resolve(root), value, '', out);
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
