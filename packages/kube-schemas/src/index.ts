/**
 * @ramp/kube-schemas: the Kubernetes OpenAPI v3 documents Ramp and its sandbox share (vendored, see
 * specs/SOURCE.md), and the generic checks both build on: ajv's errors as field problems, unknown
 * fields, and a walker over the schemas.
 */
export type { OpenApiDoc, SchemaNode, SchemaProblem } from './types';
export { openApiDocument, specDirectory, vendoredDocuments, type VendoredDocument } from './documents';
export { SchemaWalker } from './schemaWalker';
export { checkSchema, fieldPath, hasSchema, type SchemaCheck } from './validator';
export { unknownFieldPaths } from './unknownFields';
export { schemaProblems } from './schemaProblems';
