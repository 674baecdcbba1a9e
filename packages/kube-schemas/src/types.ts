/** The shapes of the vendored Kubernetes OpenAPI v3 documents, and of what validating against them finds. */

/** A JSON-schema node as Kubernetes publishes them (only the parts Ramp and the sandbox read are typed). */
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

/** One OpenAPI v3 document, as Kubernetes serves it for a group-version under /openapi/v3. */
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, unknown>;
  components: { schemas: Record<string, SchemaNode> };
}

/**
 * One thing wrong with a value, named the way Kubernetes names a cause of a 422: a reason
 * (`FieldValueRequired`, `FieldValueTypeInvalid`, `FieldValueNotSupported`, `FieldValueInvalid`,
 * `FieldValueUnknown`), the field's path (`spec.containers[0].image`; empty for the value itself) and a message.
 */
export interface SchemaProblem {
  reason: string;
  field: string;
  message: string;
}
