/**
 * The vendored Kubernetes OpenAPI v3 documents (specs/SOURCE.md), read once from the package's own
 * specs/ directory. The directory is found from the package root, so the same code works from src/
 * (ts-jest) and from dist/ (compiled): the JSON is data, never copied by a build.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OpenApiDoc } from './types';

/** One vendored document. */
export interface VendoredDocument {
  /** Its path under /openapi/v3: `api/v1`, `apis/apps/v1`. */
  readonly path: string;
  readonly doc: OpenApiDoc;
  /** The file's text, as it is served. */
  readonly text: string;
}

/** The directory holding this package's package.json, found by walking up from this file. */
function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Where the documents are: `<package root>/specs`. */
export function specDirectory(): string {
  return join(packageRoot(), 'specs');
}

let loaded: Map<string, VendoredDocument> | undefined;

/** Every vendored document, keyed by its path under /openapi/v3 (`api/v1`, `apis/apps/v1`). */
export function vendoredDocuments(): ReadonlyMap<string, VendoredDocument> {
  if (loaded) return loaded;
  const docs = new Map<string, VendoredDocument>();
  const dir = specDirectory();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('_openapi.json')) continue;
    // Kubernetes' own file naming: apis__apps__v1_openapi.json is apis/apps/v1.
    const path = f.replace(/_openapi\.json$/, '').replace(/__/g, '/');
    const text = readFileSync(join(dir, f), 'utf8');
    docs.set(path, { path, doc: JSON.parse(text) as OpenApiDoc, text });
  }
  loaded = docs;
  return docs;
}

/** The document of a group-version (`api/v1`, `apis/apps/v1`), or undefined if none is vendored. */
export function openApiDocument(path: string): OpenApiDoc | undefined {
  return vendoredDocuments().get(path)?.doc;
}
