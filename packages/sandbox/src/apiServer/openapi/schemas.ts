/**
 * The vendored Kubernetes OpenAPI v3 documents (@ramp/kube-schemas), as this API server uses them:
 * served as they are at /openapi/v3 with their hashes, and looked up per resource type for what a real
 * API server derives from the same schemas — known fields (strict field validation) and patch merge keys
 * (strategic merge patch).
 */
import { createHash } from 'node:crypto';
import { SchemaWalker, vendoredDocuments, type SchemaNode } from '@ramp/kube-schemas';
import { apiVersionOf, type ResourceType } from '../resources';

let served: Map<string, { text: string; hash: string }> | undefined;

/** The documents, keyed by their path under /openapi/v3 (`api/v1`, `apis/apps/v1`), with the hash clients cache by. */
export function openApiDocuments(): ReadonlyMap<string, { text: string; hash: string }> {
  if (served) return served;
  served = new Map();
  for (const [path, d] of vendoredDocuments()) {
    const hash = createHash('sha512').update(d.text).digest('hex').slice(0, 128).toUpperCase();
    served.set(path, { text: d.text, hash });
  }
  return served;
}

function docPathFor(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? `api/${t.version}` : `apis/${apiVersionOf(t)}`;
}

export interface KindSchema {
  walker: SchemaWalker;
  root: SchemaNode;
  /** The document's path under /openapi/v3 (`apis/apps/v1`). */
  docId: string;
}

/** The schema of a resource type's objects, or undefined if none is vendored. */
export function kindSchema(t: ResourceType): KindSchema | undefined {
  const d = vendoredDocuments().get(docPathFor(t));
  if (!d) return undefined;
  const root = d.doc.components.schemas[t.schemaName];
  if (!root) return undefined;
  return { walker: new SchemaWalker(d.doc), root, docId: d.path };
}
