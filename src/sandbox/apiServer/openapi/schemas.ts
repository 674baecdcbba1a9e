/**
 * The vendored Kubernetes OpenAPI v3 documents (see specs/SOURCE.md): loaded once, served as they are,
 * and walked for what a real API server derives from the same schemas — known fields (strict field
 * validation) and patch merge keys (strategic merge patch).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { apiVersionOf, type ResourceType } from '../resources';

/** A JSON-schema node as Kubernetes publishes them (only the parts the sandbox reads are typed). */
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  $ref?: string;
  required?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [k: string]: unknown;
}

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, unknown>;
  components: { schemas: Record<string, SchemaNode> };
}

interface LoadedDoc {
  /** "api/v1", "apis/apps/v1" — the key in /openapi/v3's root. */
  path: string;
  doc: OpenApiDoc;
  text: string;
  hash: string;
}

const SPEC_DIR = join(__dirname, 'specs');

function specDirectory(): string {
  // Compiled code runs from dist/; the JSON documents stay in src/ (one copy, no build step for data).
  return SPEC_DIR.replace(`${join('dist', 'src')}`, 'src');
}

let loaded: Map<string, LoadedDoc> | undefined;

function load(): Map<string, LoadedDoc> {
  if (loaded) return loaded;
  loaded = new Map();
  const dir = specDirectory();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('_openapi.json')) continue;
    const path = f.replace(/_openapi\.json$/, '').replace(/__/g, '/');
    const text = readFileSync(join(dir, f), 'utf8');
    const hash = createHash('sha512').update(text).digest('hex').slice(0, 128).toUpperCase();
    loaded.set(path, { path, doc: JSON.parse(text) as OpenApiDoc, text, hash });
  }
  return loaded;
}

/** The documents, keyed by their path under /openapi/v3 (`api/v1`, `apis/apps/v1`). */
export function openApiDocuments(): ReadonlyMap<string, { text: string; hash: string }> {
  return load();
}

function docPathFor(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? `api/${t.version}` : `apis/${apiVersionOf(t)}`;
}

/** Resolves `$ref` and single-element `allOf` wrappers (how Kubernetes embeds a reference). */
export class SchemaWalker {
  constructor(private readonly doc: OpenApiDoc) {}

  resolve(node: SchemaNode | undefined): SchemaNode | undefined {
    let cur = node;
    for (let i = 0; cur && i < 20; i++) {
      if (cur.$ref) {
        cur = { ...this.doc.components.schemas[cur.$ref.replace('#/components/schemas/', '')], ...withoutRef(cur) };
        continue;
      }
      if (cur.allOf && cur.allOf.length === 1 && !cur.properties) {
        const { allOf, ...rest } = cur;
        cur = { ...this.resolve(allOf[0]), ...rest };
        continue;
      }
      return cur;
    }
    return cur;
  }

  property(node: SchemaNode | undefined, name: string): SchemaNode | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    if (n.properties && n.properties[name]) return this.resolve(n.properties[name]);
    if (n.additionalProperties && typeof n.additionalProperties === 'object')
      return this.resolve(n.additionalProperties);
    return undefined;
  }

  items(node: SchemaNode | undefined): SchemaNode | undefined {
    return this.resolve(this.resolve(node)?.items);
  }
}

function withoutRef(n: SchemaNode): SchemaNode {
  const { $ref: _r, ...rest } = n;
  return rest;
}

export interface KindSchema {
  walker: SchemaWalker;
  root: SchemaNode;
  doc: OpenApiDoc;
  /** The `$id`-relative pointer of the root schema, for ajv. */
  ref: string;
  docId: string;
}

/** The schema of a resource type's objects, or undefined if none is vendored. */
export function kindSchema(t: ResourceType): KindSchema | undefined {
  const d = load().get(docPathFor(t));
  if (!d) return undefined;
  const root = d.doc.components.schemas[t.schemaName];
  if (!root) return undefined;
  return {
    walker: new SchemaWalker(d.doc),
    root,
    doc: d.doc,
    ref: `#/components/schemas/${t.schemaName}`,
    docId: d.path,
  };
}

/** The document of a group-version, for validators that compile whole documents. */
export function docFor(path: string): OpenApiDoc | undefined {
  return load().get(path)?.doc;
}
