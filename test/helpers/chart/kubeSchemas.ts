/** Rendered objects checked against the Kubernetes schemas of the real control plane's version. */
import { checkSchema, unknownFieldPaths, vendoredDocuments } from '@ramp/kube-schemas';
import type { RenderedObject } from './helm';

interface SchemaRef {
  docId: string;
  schemaName: string;
}

let byGvk: Map<string, SchemaRef> | undefined;

/** apiVersion/kind → the document and schema that describe it (from x-kubernetes-group-version-kind). */
function schemaFor(apiVersion: string, kind: string): SchemaRef | undefined {
  if (!byGvk) {
    byGvk = new Map();
    for (const [docId, { doc }] of vendoredDocuments('cluster'))
      for (const [schemaName, node] of Object.entries(doc.components.schemas)) {
        const gvks = (
          node as { 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[] }
        )['x-kubernetes-group-version-kind'];
        for (const g of gvks ?? [])
          byGvk.set(`${g.group ? `${g.group}/` : ''}${g.version}/${g.kind}`, { docId, schemaName });
      }
  }
  return byGvk.get(`${apiVersion}/${kind}`);
}

/** The problems of one object: schema violations and unknown fields; throws for a kind with no schema. */
export function objectProblems(o: RenderedObject): string[] {
  const ref = schemaFor(o.apiVersion, o.kind);
  if (!ref) throw new Error(`no vendored schema for ${o.apiVersion} ${o.kind}`);
  const check = checkSchema(ref.docId, ref.schemaName, o, 'cluster');
  const problems = check.problems.map((p) => `${p.field}: ${p.message}`);
  if (!check.valid && problems.length === 0) problems.push('invalid (no field named)');
  for (const path of unknownFieldPaths(ref.docId, ref.schemaName, o, 'cluster'))
    problems.push(`${path}: unknown field`);
  return problems;
}
