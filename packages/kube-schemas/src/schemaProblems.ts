/** Everything wrong with a value against a Kubernetes schema, in one list: what Ramp reports for a plan's pod template. */
import { checkSchema } from './validator';
import { unknownFieldPaths } from './unknownFields';
import type { SchemaProblem } from './types';

/**
 * Field problems of any value against a named schema of a vendored document (for example a plan's
 * PodTemplateSpec against `apis/apps/v1` → `io.k8s.api.core.v1.PodTemplateSpec`), unknown fields
 * included; paths start with `prefix`. Throws when the schema is not vendored.
 */
export function schemaProblems(docId: string, schemaName: string, value: unknown, prefix: string): SchemaProblem[] {
  const join = (f: string): string => (f ? `${prefix}.${f}` : prefix);
  const problems: SchemaProblem[] = [];
  for (const p of checkSchema(docId, schemaName, value).problems) {
    const field = join(p.field);
    if (!problems.some((x) => x.field === field && x.message === p.message)) problems.push({ ...p, field });
  }
  for (const f of unknownFieldPaths(docId, schemaName, value))
    problems.push({ reason: 'FieldValueUnknown', field: join(f), message: 'unknown field' });
  return problems;
}
