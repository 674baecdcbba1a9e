/**
 * One YAML (or JSON, which is YAML) document read into a plain value, or the problems that stopped it,
 * with line and column. Plans reach Ramp through the API, the CLI and the worker; each wraps the
 * problems in its own error (400 in the API, a plan error elsewhere), but they read text one way. The
 * API parses off its event loop (src/api/yamlParser.ts) and turns what came back into the same result
 * with documentResult().
 */
import { type FieldProblem } from '../errors';
import YAML from 'yaml';

export type DocumentResult = { ok: true; value: unknown } | { ok: false; problems: FieldProblem[] };

/** Alias expansion is capped: a small document must not expand into a huge one ("billion laughs"). */
export const MAX_ALIAS_COUNT = 100;

/** What parsing found, as plain data (it crosses a worker thread boundary). */
export interface ParsedDocuments {
  count: number;
  /** No document, or one with no contents. */
  empty: boolean;
  /** The first document's errors, with where. */
  errors: { message: string; line?: number; col?: number }[];
  /** The one document as plain data, when there is exactly one and it has no errors. */
  value?: unknown;
  /** Why it could not be made plain data (too many aliases). */
  toJsError?: string;
}

/** Parses `text` (what the API's worker thread does too: keep the two alike). */
export function parseDocuments(text: string): ParsedDocuments {
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
  const first = docs[0];
  const parsed: ParsedDocuments = {
    count: docs.length,
    empty: docs.length === 0 || (docs.length === 1 && first.contents === null),
    errors: (first?.errors ?? []).map((e) => ({
      message: e.message.split('\n')[0],
      line: e.linePos?.[0].line,
      col: e.linePos?.[0].col,
    })),
  };
  if (docs.length !== 1 || parsed.empty || parsed.errors.length) return parsed;
  try {
    parsed.value = first.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    parsed.toJsError = (err as Error).message.split('\n')[0];
  }
  return parsed;
}

/** The document result of what parsing found; problems at `path`. */
export function documentResult(p: ParsedDocuments, path = ''): DocumentResult {
  if (p.empty) return { ok: false, problems: [{ path, message: 'the plan is empty' }] };
  if (p.count > 1) return { ok: false, problems: [{ path, message: `expected one plan document, found ${p.count}` }] };
  if (p.errors.length) {
    // Only the first: one bad indent makes the yaml library report every later line too, and those
    // go away once the first is fixed.
    const e = p.errors[0];
    const where = e.line !== undefined ? ` (line ${e.line}, column ${e.col ?? 1})` : '';
    return {
      ok: false,
      problems: [{ path, message: `not valid YAML or JSON${where}: ${yamlReason(e.message)}` }],
    };
  }
  if (p.toJsError !== undefined)
    return { ok: false, problems: [{ path, message: `cannot be read as plain data: ${p.toJsError}` }] };
  return { ok: true, value: p.value };
}

/** The yaml library's message without its own copy of the position (` at line 3, column 1:`). */
function yamlReason(message: string): string {
  return message.replace(/ at line \d+, column \d+:?\s*$/, '');
}

export function readOneDocument(text: string, path = ''): DocumentResult {
  return documentResult(parseDocuments(text), path);
}
