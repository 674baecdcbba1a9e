/**
 * The OpenAPI v2 document (assets/openapi/v2/swagger.pb, see SOURCE.md beside it) as the gnostic
 * openapi_v2.Document protobuf: kubectl 1.27 and 1.28 read it to learn that the server validates
 * fields, and fail `kubectl apply` without it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../util/packageRoot';

/**
 * The media type a real API server answers with. kubectl asks for the older spelling with "@v1.0",
 * which Go's mime parser rejects in a response, so both are accepted and only this one is sent.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const ACCEPTED = new Set([OPENAPI_V2_PROTOBUF, 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf']);

let loaded: { doc: Buffer | undefined } | undefined;

/** The encoded document, read once; undefined when the file is missing. */
export function openApiV2Document(): Buffer | undefined {
  if (loaded) return loaded.doc;
  // Data, not code: one copy in the package's assets/, found the same from src/ (ts-jest) and dist/.
  const file = join(packageRoot(), 'assets', 'openapi', 'v2', 'swagger.pb');
  loaded = { doc: existsSync(file) ? readFileSync(file) : undefined };
  return loaded.doc;
}

/** True when an Accept header asks for the protobuf document (either spelling of its media type). */
export function wantsOpenApiV2Protobuf(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => ACCEPTED.has(part.split(';')[0].trim().toLowerCase()));
}
