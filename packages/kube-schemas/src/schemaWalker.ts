/** Walks a document's schemas the way Kubernetes writes them: `$ref`s and one-element `allOf` wrappers resolved. */
import type { OpenApiDoc, SchemaNode } from './types';

/** Resolves `$ref` and single-element `allOf` wrappers (how Kubernetes embeds a reference). */
export class SchemaWalker {
  constructor(private readonly doc: OpenApiDoc) {}

  /** The node with its references followed (at most 20 deep), its own keys winning over the target's. */
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

  /** The resolved schema of a property (or of a map's values), undefined when the schema has none. */
  property(node: SchemaNode | undefined, name: string): SchemaNode | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    if (n.properties && n.properties[name]) return this.resolve(n.properties[name]);
    if (n.additionalProperties && typeof n.additionalProperties === 'object')
      return this.resolve(n.additionalProperties);
    return undefined;
  }

  /** The resolved schema of an array's items. */
  items(node: SchemaNode | undefined): SchemaNode | undefined {
    return this.resolve(this.resolve(node)?.items);
  }
}

function withoutRef(n: SchemaNode): SchemaNode {
  const { $ref: _r, ...rest } = n;
  return rest;
}
